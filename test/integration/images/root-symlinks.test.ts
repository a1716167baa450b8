// An image's symlinks cannot take podshim's mounts out of the container's
// root: `etc` and `data` point at an absolute path that exists both on the
// host and inside the image, and every mount (the /etc files, an emptyDir
// under /data) must land in the image's copy, resolved as if the root were
// /. And a container that swaps a directory for such a symlink in its
// writable layer, then fails: its restart starts from a fresh layer, as a
// restarted container does under kubelet.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { unmountAllViews } from '../../../src/images/image-views'
import { containerLines, keyValues, podEnv, podManifest } from '../pod/fixtures/helpers'
import { busyboxLayer, writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root (namespaces, cgroups, overlay mounts)')
  process.exit(0)
}

t.test('mounts through symlinks in an image stay inside its root', async (t) => {
  const victim = mkdtempSync(join(tmpdir(), 'podshim-victim-'))
  t.teardown(() => rmSync(victim, { recursive: true, force: true }))
  // on the host too, so a mount that followed the links there would succeed
  for (const dir of ['etc', 'data']) mkdirSync(join(victim, dir))
  const inImage = victim.slice(1)
  const layout = join(tempDir(t, 'podshim-root-symlinks-'), 'layout')
  writeLayout(layout, {
    links: {
      layers: [
        busyboxLayer().filter((e) => !e.name.startsWith('etc')),
        [
          ...inImage.split('/').map((_, i, parts) => ({ name: `${parts.slice(0, i + 1).join('/')}/`, type: '5' })),
          { name: `${inImage}/etc/`, type: '5' },
          { name: `${inImage}/etc/passwd`, data: 'root:x:0:0:root:/root:/bin/sh\n' },
          { name: `${inImage}/data/`, type: '5' },
          { name: 'etc', type: '2', linkName: `${victim}/etc` },
          { name: 'data', type: '2', linkName: `${victim}/data` },
        ],
      ],
    },
  })
  const env = podEnv(t)
  t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
  const script = [
    'echo hostname=$(cat /etc/hostname)',
    `echo in_image_hostname=$(cat ${victim}/etc/hostname)`,
    'echo x > /data/sub/dir/f && echo volume_write=ok',
    `echo in_image_volume=$(ls ${victim}/data/sub/dir)`,
  ].join('; ')
  const r = await env.run(podManifest('links', [
    { name: 'c', image: `oci:${layout}:links`, command: ['/bin/sh', '-c', script], volumeMounts: [{ name: 'v', mountPath: '/data/sub/dir' }] },
  ], { volumes: [{ name: 'v', emptyDir: {} }] }))
  t.equal(r.code, 0, 'the pod ran', { output: r.stdout + r.stderr })
  const out = keyValues(containerLines(r.stdout, 'c'))
  t.equal(out.get('hostname'), 'links', '/etc/hostname is the pod\'s')
  t.equal(out.get('in_image_hostname'), 'links', 'bound where etc points inside the image')
  t.equal(out.get('volume_write'), 'ok')
  t.equal(out.get('in_image_volume'), 'f', 'the emptyDir is mounted where data points inside the image')
  t.same([...readdirSync(join(victim, 'etc')), ...readdirSync(join(victim, 'data'))], [], 'nothing was made on the host')
})

t.test('a restart gets a fresh writable layer: a symlink the last run left is gone', async (t) => {
  const victim = mkdtempSync(join(tmpdir(), 'podshim-victim-'))
  t.teardown(() => rmSync(victim, { recursive: true, force: true }))
  const layout = join(tempDir(t, 'podshim-root-symlinks-'), 'layout')
  writeLayout(layout, { plain: { layers: [busyboxLayer()] } })
  const env = podEnv(t)
  t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
  // /data is made by podshim for the volume, in the writable layer: swap it for a symlink to the host, then fail
  const script = `if [ -L /data ]; then echo found_symlink=yes; fi; mv /data /data.old && ln -s ${victim} /data && echo swapped=yes; exit 1`
  const pod = env.start(podManifest('swap', [
    { name: 'c', image: `oci:${layout}:plain`, command: ['/bin/sh', '-c', script], volumeMounts: [{ name: 'v', mountPath: '/data/sub' }] },
  ], { restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 1, volumes: [{ name: 'v', emptyDir: {} }] }), { args: ['--time-scale', '100'] })
  await pod.waitFor(/swapped=yes[\s\S]*swapped=yes/, 20_000)
  pod.child.kill('SIGTERM')
  const r = await pod.result
  t.notOk(r.stdout.includes('found_symlink=yes'), 'the restart did not see the last run\'s symlink', { output: r.stdout + r.stderr })
  t.same(readdirSync(victim), [], 'nothing was made on the host')
})

t.test('an image whose /etc/resolv.conf is a link (systemd-resolved) gets the pod\'s file where it leads', async (t) => {
  const layout = join(tempDir(t, 'podshim-root-symlinks-'), 'layout')
  writeLayout(layout, {
    resolved: { layers: [busyboxLayer(), [{ name: 'etc/resolv.conf', type: '2', linkName: '../run/systemd/resolve/stub-resolv.conf' }]] },
  })
  const env = podEnv(t)
  t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
  const r = await env.run(podManifest('resolved', [
    { name: 'c', image: `oci:${layout}:resolved`, command: ['/bin/sh', '-c', [
      'echo mounted=$(grep -c " /run/systemd/resolve/stub-resolv.conf " /proc/self/mountinfo)',
      'if cat /etc/resolv.conf >/dev/null; then echo readable=yes; fi',
      'echo link=$(ls -l /etc/resolv.conf | grep -c -- "->")',
    ].join('; ')] },
  ]))
  t.equal(r.code, 0, 'the container started', { output: r.stdout + r.stderr })
  const out = keyValues(containerLines(r.stdout, 'c'))
  t.equal(out.get('mounted'), '1', 'the pod\'s resolv.conf is mounted where the link leads')
  t.equal(out.get('readable'), 'yes', 'and read through the link')
  t.equal(out.get('link'), '1', 'the link itself is kept')
})
