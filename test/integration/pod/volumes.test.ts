// Volumes from inside the pod: hostPath with each `type` check, subPath
// into an emptyDir, and subPaths that would escape their volume (by `..`,
// or by a symlink a first container plants in it) refused with an error
// naming the field.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { containerLines, podEnv, podManifest, shContainer, waitS } from './fixtures/helpers'
import { MNT_DETACH, mount, umount2 } from '../../../src/native/libc'
import { MS_BIND, MS_PRIVATE } from '../../../src/native/contract'

const MS_SHARED = 0x100000

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** A pod mounting one hostPath volume at /host and listing it. */
function hostPathPod(path: string, type: string): Record<string, unknown> {
  return podManifest('hostpath', [shContainer('c', 'if [ -d /host ]; then ls -A /host; elif [ -f /host ]; then cat /host; fi; echo done', { volumeMounts: [{ name: 'host', mountPath: '/host' }] })], {
    volumes: [{ name: 'host', hostPath: { path, type } }],
  })
}

t.test('hostPath type checks that pass', async (t) => {
  const env = podEnv(t)
  mkdirSync(env.dir, { recursive: true })
  const dir = join(env.dir, 'host-dir')
  mkdirSync(dir)
  writeFileSync(join(dir, 'seen-from-pod'), '')
  const file = join(env.dir, 'host-file')
  writeFileSync(file, 'host file content\n')
  const socketPath = join(env.dir, 'host.sock')
  const server = createServer().listen(socketPath)
  t.teardown(() => server.close())
  const cases: Array<[string, string, RegExp]> = [
    ['Directory', dir, /^seen-from-pod$/m],
    ['', dir, /^seen-from-pod$/m],
    ['File', file, /^host file content$/m],
    ['CharDevice', '/dev/null', /^done$/m],
    ['Socket', socketPath, /^done$/m],
    ['DirectoryOrCreate', join(env.dir, 'made-dir'), /^done$/m],
    ['FileOrCreate', join(env.dir, 'made-file'), /^done$/m],
  ]
  for (const [type, path, expected] of cases) {
    const r = await env.run(hostPathPod(path, type))
    t.equal(r.code, 0, `type "${type}" on ${path}: the pod runs`, { stderr: r.stderr })
    t.match(containerLines(r.stdout, 'c').join('\n'), expected, `type "${type}": the container sees it`)
  }
  t.ok(statSync(join(env.dir, 'made-dir')).isDirectory(), 'DirectoryOrCreate made the directory')
  t.ok(statSync(join(env.dir, 'made-file')).isFile(), 'FileOrCreate made the file')
})

t.test('hostPath type checks that fail name the volume and stop before anything runs', async (t) => {
  const env = podEnv(t)
  mkdirSync(env.dir, { recursive: true })
  const file = join(env.dir, 'a-file')
  writeFileSync(file, '')
  const cases: Array<[string, string]> = [
    ['Directory', join(env.dir, 'missing')],
    ['Directory', file],
    ['File', env.dir],
    ['Socket', file],
    ['CharDevice', file],
    ['BlockDevice', '/dev/null'],
    ['DirectoryOrCreate', file],
  ]
  for (const [type, path] of cases) {
    const r = await env.run(hostPathPod(path, type))
    t.not(r.code, 0, `type "${type}" on ${path}: podshim run fails`)
    t.match(r.stderr, new RegExp(`hostPath volume "host": .*"${path}".*\\(type "${type}"\\)`), `type "${type}": the error names the volume, path and type`)
    t.same(containerLines(r.stdout, 'c'), [], 'the container never ran')
    t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  }
  t.notOk(existsSync(join(env.dir, 'missing')), 'Directory did not create the missing path')
})


t.test('subPath mounts a directory inside an emptyDir', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('subpath', [shContainer('reader', 'cat /all/nested/dir/from-writer', {
    volumeMounts: [{ name: 'shared', mountPath: '/all' }],
  })], {
    volumes: [{ name: 'shared', emptyDir: {} }],
    initContainers: [shContainer('writer', 'echo written through the subPath > /sub/from-writer; ls -A /sub', {
      volumeMounts: [{ name: 'shared', mountPath: '/sub', subPath: 'nested/dir' }],
    })],
  }))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'writer'), ['from-writer'], 'the subPath mount is the (new, empty) subdirectory')
  t.same(containerLines(r.stdout, 'reader'), ['written through the subPath'], 'the file is at nested/dir/ in the whole volume')
})

t.test('mountPropagation HostToContainer: a mount the host makes under the volume shows in the container; None: it does not', async (t) => {
  const env = podEnv(t)
  // the volume's host directory, on a shared mount of the test's own (containerd requires shared or slave)
  const shared = join(env.dir, 'shared')
  mkdirSync(join(shared, 'sub'), { recursive: true })
  // by the addon's mount(2), not mount(8): the VM guest's busybox mount has no propagation flags
  mount(shared, shared, null, MS_BIND, null)
  mount(null, shared, null, MS_SHARED, null)
  t.teardown(() => {
    for (const m of [join(shared, 'sub'), shared]) {
      try {
        umount2(m, MNT_DETACH)
      } catch {
        // not mounted (the test failed before it)
      }
    }
  })
  const watch = (dir: string): string => `echo up; i=0; while [ $i -lt 100 ] && [ ! -e ${dir}/sub/marker ]; do sleep ${waitS(0.05)}; i=$((i+1)); done; if [ -e ${dir}/sub/marker ]; then echo "sees=$(cat ${dir}/sub/marker)"; else echo sees=nothing; fi`
  const pod = env.start(podManifest('propagation', [
    shContainer('slave', watch('/h'), { volumeMounts: [{ name: 'h', mountPath: '/h', mountPropagation: 'HostToContainer' }] }),
    shContainer('private', watch('/h'), { volumeMounts: [{ name: 'h', mountPath: '/h' }] }),
  ], { volumes: [{ name: 'h', hostPath: { path: shared, type: 'Directory' } }] }))
  await pod.waitFor(/slave +\| up[\s\S]*private +\| up|private +\| up[\s\S]*slave +\| up/)
  // a mount the host makes after the containers started
  mount('propagated', join(shared, 'sub'), 'tmpfs', 0, null)
  writeFileSync(join(shared, 'sub', 'marker'), 'from-host')
  const r = await pod.result
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'slave'), ['up', 'sees=from-host'], 'HostToContainer: the host\'s new mount reached the container')
  t.same(containerLines(r.stdout, 'private'), ['up', 'sees=nothing'], 'None: it did not')
})

t.test('mountPropagation HostToContainer of a path on a private mount fails as containerd fails it', async (t) => {
  const env = podEnv(t)
  const dir = join(env.dir, 'private-dir')
  mkdirSync(dir)
  mount(dir, dir, null, MS_BIND, null)
  mount(null, dir, null, MS_PRIVATE, null)
  t.teardown(() => {
    try {
      umount2(dir, MNT_DETACH)
    } catch {
      // not mounted
    }
  })
  const r = await env.run(podManifest('not-shared', [shContainer('c', 'echo ran', {
    volumeMounts: [{ name: 'h', mountPath: '/h', mountPropagation: 'HostToContainer' }],
  })], { volumes: [{ name: 'h', hostPath: { path: dir } }] }), { args: ['-o', 'json'] })
  t.match(r.status?.containerStatuses?.[0]?.state?.terminated, { reason: 'StartError', message: `volumeMounts[0].mountPropagation: path "${dir}" is mounted on "${dir}" but it is not a shared or slave mount` })
})

t.test('subPathExpr: the subPath from the container\'s env, downward API values included', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('subpath-expr', [shContainer('reader', 'ls -A /all/logs; cat /all/logs/*/note', {
    volumeMounts: [{ name: 'shared', mountPath: '/all' }],
  })], {
    volumes: [{ name: 'shared', emptyDir: {} }],
    initContainers: [shContainer('writer', 'echo by $POD > /mine/note', {
      env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'DIR', value: 'logs/$(POD)' }],
      volumeMounts: [{ name: 'shared', mountPath: '/mine', subPathExpr: '$(DIR)-w' }],
    })],
  }))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'reader'), ['subpath-expr-w', 'by subpath-expr'], 'the writer\'s mount was logs/<pod name>-w')
})

t.test('subPathExpr naming a variable without a value: the container cannot be configured', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('subpath-expr-missing', [shContainer('app', 'echo ran', {
    env: [{ name: 'EMPTY', value: '' }],
    volumeMounts: [{ name: 'shared', mountPath: '/mine', subPathExpr: '$(NOPE)/$(EMPTY)' }],
  })], { volumes: [{ name: 'shared', emptyDir: {} }] }), { args: ['-o', 'json'] })
  t.not(r.code, 0, 'the pod failed')
  t.same(containerLines(r.stderr, 'app'), [], 'it never ran')
  t.match(r.status?.containerStatuses?.[0]?.state?.terminated, { reason: 'StartError', exitCode: 128, message: /missing value for EMPTY, NOPE/ })
  t.notMatch(r.stderr, /Created +spec\.containers\{app\}/, 'a config error: never created, as kubelet')
})

t.test('a subPath that is a symlink staying inside the volume is followed, as kubelet follows it', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('subpath-link', [shContainer('app', 'cat /x/f; ls -A /x', {
    volumeMounts: [{ name: 'e', mountPath: '/x', subPath: 'link' }],
  })], {
    volumes: [{ name: 'e', emptyDir: {} }],
    initContainers: [shContainer('init', 'mkdir -p /e/conf && echo through the link > /e/conf/f && ln -s conf /e/link', {
      volumeMounts: [{ name: 'e', mountPath: '/e' }],
    })],
  }))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'app'), ['through the link', 'f'], 'the mount is the directory the link leads to')
})

t.test('a hostPath of type "" that does not exist is made a directory (0755), as containerd makes a missing mount source', async (t) => {
  const env = podEnv(t)
  mkdirSync(env.dir, { recursive: true })
  const path = join(env.dir, 'not-yet', 'there')
  const r = await env.run(podManifest('hostpath-missing', [shContainer('c', 'echo made > /host/f; echo done', {
    volumeMounts: [{ name: 'host', mountPath: '/host' }],
  })], { volumes: [{ name: 'host', hostPath: { path } }] }))
  t.equal(r.code, 0, 'the pod runs', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'c'), ['done'], 'the container wrote into it')
  t.ok(statSync(path).isDirectory(), 'the path is a directory now')
  t.equal(statSync(path).mode & 0o7777, 0o755, 'mode 0755')
  t.ok(existsSync(join(path, 'f')), 'what the container wrote is on the host')
})

t.test('a hostPath of type "" that cannot be made fails the container naming the volumeMount and volume', async (t) => {
  const env = podEnv(t)
  mkdirSync(env.dir, { recursive: true })
  const file = join(env.dir, 'a-file')
  writeFileSync(file, '')
  const r = await env.run(podManifest('hostpath-blocked', [shContainer('c', 'echo ran', {
    volumeMounts: [{ name: 'host', mountPath: '/host' }],
  })], { volumes: [{ name: 'host', hostPath: { path: join(file, 'sub') } }] }), { args: ['-o', 'json'] })
  t.not(r.code, 0, 'podshim run fails')
  const state = r.status?.containerStatuses?.[0]?.state?.terminated
  t.match(state, { reason: 'StartError', exitCode: 128 }, 'the container failed to start')
  t.match(state?.message, /^volumeMounts\[0\]: volume "host": stat the mount source ".*a-file\/sub": ENOTDIR/, 'the message names the volumeMount, the volume and the path')
})

t.test('a subPath with ".." is refused, naming the field', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('escape', [shContainer('c', 'echo ran', {
    volumeMounts: [{ name: 'shared', mountPath: '/sub', subPath: 'a/../../etc' }],
  })], { volumes: [{ name: 'shared', emptyDir: {} }] }))
  t.equal(r.code, 1, 'podshim run exits 1')
  t.match(r.stderr, /spec\.containers\[0\]\.volumeMounts\[0\]\.subPath: must not contain '\.\.'/, 'the error names the field')
  t.same(containerLines(r.stdout, 'c'), [], 'the container never ran')
})

for (const [label, target] of [['to /', '/'], ['relative, out of the volume', '../../../../../..']] as const) {
  t.test(`a subPath through a symlink ${label} planted by a first container is refused`, async (t) => {
    const env = podEnv(t)
    const r = await env.run(podManifest('planted', [shContainer('victim', 'echo ran; ls /sub', {
      volumeMounts: [{ name: 'shared', mountPath: '/sub', subPath: 'escape/etc' }],
    })], {
      volumes: [{ name: 'shared', emptyDir: {} }],
      initContainers: [shContainer('planter', `ln -s ${target} /vol/escape && echo planted`, { volumeMounts: [{ name: 'shared', mountPath: '/vol' }] })],
    }), { args: ['-o', 'json'] })
    t.same(containerLines(r.stderr, 'planter'), ['planted'], 'the first container planted the symlink')
    t.same(containerLines(r.stderr, 'victim'), [], 'the second container never ran')
    const victim = r.status?.containerStatuses?.[0]?.state?.terminated
    t.match(victim, { reason: 'StartError', exitCode: 128 }, 'it failed to start')
    t.match(victim?.message, /volumeMounts\[0\]\.subPath: .*symlink/, 'the message names the field and the symlink')
    t.not(r.code, 0, 'podshim run fails')
  })
}

t.test('a readOnly mount keeps the nosuid and nodev of its volume', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('ro-flags', [shContainer('c', 'grep " /ro " /proc/self/mountinfo | cut -d" " -f6', {
    volumeMounts: [{ name: 'mem', mountPath: '/ro', readOnly: true }],
  })], { volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }] }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const [options] = containerLines(r.stdout, 'c')
  const flags = (options ?? '').split(',')
  for (const flag of ['ro', 'nosuid', 'nodev']) t.ok(flags.includes(flag), `${flag} (${options})`)
})

t.test('recursiveReadOnly: the mounts below a readOnly volume are read-only too; without it, as in Kubernetes, they are not', async (t) => {
  const env = podEnv(t)
  const host = join(env.dir, 'host-tree')
  mkdirSync(join(host, 'sub'), { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(host, 'sub')])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', join(host, 'sub')], { stdio: 'ignore' })
    } catch {
      // not mounted: a throw here would skip the harness's teardown
    }
  })
  const write = (dir: string): string => `if echo x > ${dir}/sub/f 2>/dev/null; then echo ${dir}=writable; else echo ${dir}=readonly; fi`
  const r = await env.run(podManifest('rro', [shContainer('c', `${write('/plain')}; ${write('/rro')}`, {
    volumeMounts: [
      { name: 'tree', mountPath: '/plain', readOnly: true },
      { name: 'tree', mountPath: '/rro', readOnly: true, recursiveReadOnly: 'Enabled' },
    ],
  })], { volumes: [{ name: 'tree', hostPath: { path: host, type: 'Directory' } }] }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const lines = containerLines(r.stdout, 'c')
  t.ok(lines.includes('/plain=writable'), 'readOnly alone leaves a submount as it is')
  t.ok(lines.includes('/rro=readonly'), 'recursiveReadOnly: Enabled covers it')
})

t.test('a medium: Memory emptyDir is sized as kubelet sizes it: sizeLimit, capped by the pod\'s memory limit', async (t) => {
  const env = podEnv(t)
  const size = (dir: string): string => `echo "${dir}=$(awk '$2 == "${dir}" { print $4 }' /proc/mounts | tr , '\\n' | grep '^size=')"`
  const r = await env.run(podManifest('mem-sizes', [
    shContainer('a', `${size('/capped')}; ${size('/limit')}; ${size('/small')}`, {
      resources: { limits: { memory: '64Mi' } },
      volumeMounts: [{ name: 'capped', mountPath: '/capped' }, { name: 'limit', mountPath: '/limit' }, { name: 'small', mountPath: '/small' }],
    }),
  ], {
    volumes: [
      { name: 'capped', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
      { name: 'limit', emptyDir: { medium: 'Memory', sizeLimit: '0' } },
      { name: 'small', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    ],
  }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const lines = containerLines(r.stdout, 'a')
  t.ok(lines.includes('/capped=size=65536k'), 'sizeLimit 1Gi, capped by the 64Mi limit', { lines })
  t.ok(lines.includes('/limit=size=65536k'), 'sizeLimit 0 is unset: the pod\'s limit', { lines })
  t.ok(lines.includes('/small=size=16384k'), 'sizeLimit below the limit', { lines })
})

t.test('a mount point podshim/host\'s read-only /usr lacks is refused naming the volumeMount, not a host path', async (t) => {
  const env = podEnv(t)
  const missing = `/usr/share/podshim-test-${process.pid}-${Date.now()}`
  t.notOk(existsSync(missing), 'the host has no such directory')
  const r = await env.run(podManifest('ro-point', [
    shContainer('c', 'true', { volumeMounts: [{ name: 'v', mountPath: `${missing}/html` }] }),
  ], { volumes: [{ name: 'v', emptyDir: {} }] }), { args: ['-o', 'json'] })
  t.equal(r.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'StartError', 'a start error', { stderr: r.stderr })
  // the first directory the host lacks on the way down (a small host, the VM's, has no /usr/share at all)
  const parts = missing.split('/')
  const firstMissing = parts.slice(0, parts.findIndex((_, i) => i > 0 && !existsSync(parts.slice(0, i + 1).join('/'))) + 1).join('/')
  t.match(r.stderr, `volumeMounts[0].mountPath: cannot make the mount point "${missing}/html": the image "podshim/host" has the host's /usr, read-only, and no "${firstMissing}" in it`)
  t.notMatch(r.stderr, /EROFS/, 'no host path error')
  t.notOk(existsSync(missing), 'nothing was made on the host')
})
