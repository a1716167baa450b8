// Pods of registry images through the real CLI: two containers of two
// different images in one pod, each on its own overlay root (a marker file
// per image), sharing the pod's network (busybox nc over 127.0.0.1);
// Entrypoint/Cmd merged with command/args by Kubernetes' rules;
// readOnlyRootFilesystem; the writable upper directory in use while the
// pod runs and gone after it; and the waiting reasons of images that
// cannot be had (ErrImageNeverPull, ErrImagePull → ImagePullBackOff,
// InvalidImageName).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { unmountAllViews } from '../../../src/images/image-views'
import { ImageStore } from '../../../src/images/store'
import { WAIT_SCALE, containerLines, keyValues, pause, podEnv, podManifest, readMounts, waitS, type PodEnv } from '../pod/fixtures/helpers'
import { busyboxLayer, writeLayout } from './fixtures/image-builder'
import { ensureTools, skopeoCopy, startRegistry } from './fixtures/registry'
import { tempDir } from './fixtures/temp-dirs'

const skip = process.getuid?.() !== 0 ? 'needs root (namespaces, cgroups, overlay mounts)' : ensureTools()

const SERVER = `
echo marker=$(cat /marker)
echo from-server > /written-by-server && echo own_write=ok
echo served-by-alpha | /bin/busybox nc -l -p 7070
echo served=yes`

const CLIENT = `
echo marker=$(cat /marker)
if echo x > /refused 2>/dev/null; then echo rootfs=writable; else echo rootfs=readonly; fi
if [ -e /written-by-server ]; then echo sees_server_file=yes; else echo sees_server_file=no; fi
sleep ${waitS(1)}
i=0
while [ $i -lt 100 ]; do
  reply=$(/bin/busybox nc 127.0.0.1 7070 </dev/null) && [ -n "$reply" ] && break
  i=$((i + 1)); sleep ${waitS(0.05)}
done
echo tcp=$reply`

/** the data root may keep only the image store; mounted lookup views belong to it and are unmounted before the harness looks */
function keepOnlyStore(t: { teardown(fn: () => void): void }, env: PodEnv): void {
  t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : []
}

t.test('pods of registry images', { skip: skip ?? false }, async (t) => {
  const work = tempDir(t, 'podshim-pod-images-')
  const layout = join(work, 'layout')
  writeLayout(layout, {
    alpha: { layers: [busyboxLayer(), [{ name: 'marker', data: 'alpha\n' }]], config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo alpha-default-cmd'] } },
    beta: { layers: [busyboxLayer(), [{ name: 'marker', data: 'beta\n' }]], config: { Entrypoint: ['/bin/echo', 'beta-entry'], Cmd: ['beta-cmd'], WorkingDir: '/tmp' } },
  })
  const registry = await startRegistry(t)
  for (const tag of ['alpha', 'beta']) skopeoCopy(`oci:${layout}:${tag}`, `docker://${registry.host}/test/${tag}:1`)
  const alpha = `${registry.host}/test/alpha:1`
  const beta = `${registry.host}/test/beta:1`

  t.test('two images in one pod: own roots, shared network, Entrypoint/Cmd merging, read-only root', async (t) => {
    const env = podEnv(t)
    keepOnlyStore(t, env)
    const pod = podManifest('two-images', [
      { name: 'server', image: alpha, args: [SERVER] },
      { name: 'client', image: beta, command: ['/bin/sh', '-c', CLIENT], securityContext: { readOnlyRootFilesystem: true } },
      { name: 'defaults', image: beta },
      { name: 'args-only', image: beta, args: ['from-args'] },
      { name: 'command-only', image: alpha, command: ['/bin/echo', 'from-command'] },
      { name: 'both', image: beta, command: ['/bin/echo'], args: ['from-both'] },
      { name: 'alpha-defaults', image: alpha },
    ])
    const running = env.start(pod)
    await running.waitFor(/server +\| own_write=ok/, 20_000)
    // the server's write went to its own upper directory under the pod's state
    const pods = entries(join(env.stateRoot, 'pods'))
    t.equal(pods.length, 1)
    const upper = join(env.stateRoot, 'pods', pods[0], 'containers', 'server', 'upper')
    t.equal(readFileSync(join(upper, 'written-by-server'), 'utf8'), 'from-server\n', 'the write landed in the container\'s upper dir')
    t.notOk(existsSync(join(upper, 'marker')), 'image files stay in the lower layers')
    const r = await running.result
    t.equal(r.code, 0, 'podshim run exits 0', { output: r.stdout + r.stderr })

    const server = keyValues(containerLines(r.stdout, 'server'))
    const client = keyValues(containerLines(r.stdout, 'client'))
    t.equal(server.get('marker'), 'alpha', 'the server sees its image')
    t.equal(client.get('marker'), 'beta', 'the client sees its own image')
    t.equal(client.get('sees_server_file'), 'no', 'the server\'s writes are not in the client\'s root')
    t.equal(client.get('rootfs'), 'readonly', 'readOnlyRootFilesystem refuses writes to /')
    t.equal(client.get('tcp'), 'served-by-alpha', 'the client reached the server over 127.0.0.1')
    t.equal(server.get('served'), 'yes')
    t.same(containerLines(r.stdout, 'defaults'), ['beta-entry beta-cmd'], 'no command, no args: Entrypoint + Cmd')
    t.same(containerLines(r.stdout, 'args-only'), ['beta-entry from-args'], 'args replace Cmd, Entrypoint kept')
    t.same(containerLines(r.stdout, 'command-only'), ['from-command'], 'command replaces Entrypoint, Cmd dropped')
    t.same(containerLines(r.stdout, 'both'), ['from-both'], 'command and args')
    t.same(containerLines(r.stdout, 'alpha-defaults'), ['alpha-default-cmd'])
    const quoted = alpha.replace(/[.]/g, '\\.')
    t.match(r.stderr + r.stdout, new RegExp(`Pulling +spec\\.containers\\{server\\}: Pulling image "${quoted}"`))
    t.match(r.stderr + r.stdout, new RegExp(`Pulled +spec\\.containers\\{server\\}: Successfully pulled image "${quoted}" in \\d[\\d.]*(ms|s)\\n`), 'kubelet\'s Pulled message after a pull')

    // teardown took the pod's upper dirs and everything else but the image store
    t.same(entries(join(env.stateRoot, 'pods')), [], 'no pod state left')
    t.same(entries(join(env.dataRoot, 'pods')), [], 'no pod data left')
    t.same(entries(env.dataRoot).filter((e) => e !== 'pods'), ['images'], 'the data root keeps only the image store')
    t.same(readMounts().filter((m) => m.mountPoint.startsWith(env.dataRoot + '/')).map((m) => m.mountPoint), [],
      'and nothing mounted in it: the last pod holding an image unmounts its lookup view')
  })

  t.test('the status names the image as containerd does: its repository:tag and the repository@digest it was pulled by', async (t) => {
    const env = podEnv(t)
    keepOnlyStore(t, env)
    const r = await env.start(podManifest('image-names', [{ name: 'one', image: alpha, command: ['/bin/true'] }]), { args: ['-o', 'json'] }).result
    t.equal(r.code, 0, 'podshim run exits 0', { output: r.stderr })
    const status = (r.status?.containerStatuses ?? []).find((s: any) => s.name === 'one')
    const record = new ImageStore(env.dataRoot).findImage(alpha)
    t.equal(status?.image, alpha, 'image: the repository:tag', { status: r.status })
    t.match(record?.repoDigests[0], new RegExp(`^${alpha.replace(/[.]/g, '\\.').replace(/:1$/, '')}@sha256:[a-f0-9]{64}$`), 'the store has the repository@digest')
    t.equal(status?.imageID, record?.repoDigests[0], 'imageID: that repository@digest')
    t.not(status?.imageID, record?.id, 'not the config digest')
  })

  t.test('images that cannot be had: waiting reasons and backoff', async (t) => {
    const env = podEnv(t)
    keepOnlyStore(t, env)
    const pod = podManifest('bad-images', [
      { name: 'never', image: alpha, imagePullPolicy: 'Never' },
      { name: 'absent', image: `${registry.host}/test/absent:1` },
      { name: 'invalid', image: 'Bad/Name:1' },
    ])
    const running = env.start(pod, { args: ['-o', 'json', '--time-scale', String(20 / WAIT_SCALE)] })
    await running.waitFor(/BackOff +spec\.containers\{absent\}: Back-off pulling image/, 20_000)
    await running.waitFor(/Failed +spec\.containers\{never\}/)
    await running.waitFor(/Failed +spec\.containers\{invalid\}/)
    await pause(200)
    running.child.kill('SIGTERM')
    const r = await running.result
    const out = r.stdout + r.stderr
    // kubelet's events: the image manager's reason and message, then the container's Failed with the waiting reason
    t.match(out, `ErrImageNeverPull spec.containers{never}: Container image "${alpha}" is not present with pull policy of Never`)
    t.match(out, /Failed +spec\.containers\{never\}: Error: ErrImageNeverPull/)
    t.match(out, new RegExp(`Failed +spec\\.containers\\{absent\\}: Failed to pull image "${registry.host}/test/absent:1": pull image "${registry.host}/test/absent:1"`))
    t.match(out, /Failed +spec\.containers\{absent\}: Error: ImagePullBackOff/)
    t.match(out, /InspectFailed +spec\.containers\{invalid\}: /)
    t.notMatch(out, /Pulling +spec\.containers\{never\}/, 'Never does not pull even though the registry has the image')
    const waiting = Object.fromEntries((r.status?.containerStatuses ?? []).map((s: any) => [s.name, s.state?.waiting]))
    t.equal(waiting.never?.reason, 'ErrImageNeverPull', 'Never with a missing image', { status: r.status })
    t.equal(waiting.absent?.reason, 'ImagePullBackOff', 'repeated ErrImagePull backs off')
    t.equal(waiting.absent?.message, `Back-off pulling image "${registry.host}/test/absent:1"`)
    t.equal(waiting.invalid?.reason, 'InvalidImageName')
    t.same(entries(join(env.dataRoot, 'images', 'images')), [], 'nothing was stored')
  })
})
