import t, { Test } from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createPodCgroup, describeUnenforced, removeStalePodCgroup } from '../../../src/cgroup/pod-cgroup'
import type { CreatePodCgroupOptions } from '../../../src/cgroup/pod-cgroup'
import { containerCgroupValues, pauseCgroupValues, podCgroupValues } from '../../../src/cgroup/values'
import { FakeCgroupFs, FakeOptions } from './fixtures/fake-cgroup-fs'

const MI = 1024 * 1024
const UID = '3f1c2a4e-0000-4000-8000-000000000001'
const app = { name: 'app', requests: { milliCpu: 250 }, limits: { milliCpu: 500, memoryBytes: 128 * MI } }
const side = { name: 'side', requests: {}, limits: {} }

const setup = (t: Test, fake: FakeOptions, extra: Partial<CreatePodCgroupOptions> = {}) => {
  const root = t.testdir({})
  const cgfs = new FakeCgroupFs(root, fake)
  const opts: CreatePodCgroupOptions = {
    root,
    podUid: UID,
    leaves: ['pause', 'app', 'side'],
    pod: podCgroupValues({ containers: [app, side] }, { pidsLimit: 100 }),
    containers: new Map([
      ['pause', pauseCgroupValues()],
      ['app', containerCgroupValues(app)],
      ['side', containerCgroupValues(side)],
    ]),
    fs: cgfs,
    ...extra,
  }
  return { root, cgfs, opts, podDir: path.join(root, 'podshim', UID) }
}

const read = (p: string): string => fs.readFileSync(p, 'utf8').trim()
const ALL = ['cpu', 'memory', 'pids', 'hugetlb']

t.test('pure v2: writes every value and enables only the controllers needed', async (t) => {
  const { root, cgfs, opts, podDir } = setup(t, { controllers: ALL })
  const cg = createPodCgroup(opts)
  t.same(cg.unenforced, [])
  t.equal(cg.path, podDir)
  t.equal(read(path.join(root, 'cgroup.subtree_control')), 'cpu pids memory', 'root: no hugetlb')
  t.equal(read(path.join(podDir, 'cgroup.subtree_control')), 'cpu memory', 'pod: no pids for leaves')
  t.equal(read(path.join(podDir, 'cpu.weight')), '10', 'Burstable pod: shares 256 from 250m, linear')
  t.equal(read(path.join(podDir, 'pids.max')), '100')
  t.equal(read(path.join(podDir, 'cpu.max')), 'max 100000', 'not every container has a cpu limit')
  t.equal(read(path.join(podDir, 'app', 'cpu.weight')), '35')
  t.equal(read(path.join(podDir, 'app', 'cpu.max')), '50000 100000')
  t.equal(read(path.join(podDir, 'app', 'memory.max')), String(128 * MI))
  t.equal(read(path.join(podDir, 'pause', 'cpu.weight')), '1')
  t.equal(cg.leafPath('app'), path.join(podDir, 'app'))
  t.throws(() => cg.leafPath('nope'), /find cgroup leaf "nope": not a leaf of pod/)
  const fd = cg.openLeaf('app')
  t.ok(fs.fstatSync(fd).isDirectory())
  fs.closeSync(fd)
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'podshim')), 'the podshim parent is gone')
  t.ok(cgfs.writes.every((w) => w.path.startsWith(path.join(root, 'podshim')) || w.path === path.join(root, 'cgroup.subtree_control')))
})

t.test('hybrid: nothing enforced, nothing written outside podshim, one list of limits', async (t) => {
  const v1 = new Map([['cpu', '/sys/fs/cgroup/cpu']])
  const { root, cgfs, opts, podDir } = setup(t, { controllers: ['hugetlb'] }, { v1Controllers: v1 })
  const cg = createPodCgroup(opts)
  t.ok(fs.statSync(path.join(podDir, 'pause')).isDirectory())
  t.ok(fs.statSync(path.join(podDir, 'side')).isDirectory())
  t.same(cg.unenforced.map((u) => [u.container, u.file, u.value]), [
    [undefined, 'cpu.weight', '10'],
    [undefined, 'pids.max', '100'],
    ['app', 'cpu.weight', '35'],
    ['app', 'cpu.max', '50000 100000'],
    ['app', 'memory.max', String(128 * MI)],
  ], 'undeclared defaults (pause, side) are not listed')
  t.equal(cg.unenforced[3].reason, `cpu controller not available in cgroup v2 hierarchy ${root} (bound to cgroup v1 at /sys/fs/cgroup/cpu)`)
  t.equal(cg.unenforced[4].reason, `memory controller not available in cgroup v2 hierarchy ${root} (bound to cgroup v1?)`)
  t.match(describeUnenforced(cg.unenforced), /cpu.max "50000 100000" of container "app"/)
  t.match(describeUnenforced(cg.unenforced), /pids.max "100" of the pod: pids controller not available/)
  t.same(cgfs.writes, [], 'no write at all')
  t.same(cg.readMemoryEvents('app'), { low: 0, high: 0, max: 0, oom: 0, oomKill: 0, oomGroupKill: 0 })
  t.equal(cg.oomKilled('app'), false)
  await cg.remove()
  t.same(fs.readdirSync(root).sort(), ['cgroup.controllers', 'cgroup.procs', 'cgroup.subtree_control'])
})

t.test('strict mode throws naming each limit and creates nothing', async (t) => {
  const { root, opts } = setup(t, { controllers: ['hugetlb'] }, { strict: true })
  t.throws(() => createPodCgroup(opts), {
    message: /^create pod cgroup "3f1c[^"]*": limits not enforceable: .*cpu.max "50000 100000" of container "app".*memory.max/,
  })
  t.notOk(fs.existsSync(path.join(root, 'podshim')))
})

t.test('a write error names the value and the file, and leaves nothing behind', async (t) => {
  const einval = Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' })
  const { root, opts, podDir } = setup(t, {
    controllers: ALL,
    failWrite: (p) => (p.endsWith(path.join('app', 'cpu.max')) ? einval : undefined),
  })
  const err = t.throws(() => createPodCgroup(opts)) as Error & { code?: string }
  t.equal(err.message, `write "50000 100000" to ${path.join(podDir, 'app', 'cpu.max')}: EINVAL: invalid argument, write`)
  t.equal(err.cause, einval)
  t.equal(err.code, 'EINVAL')
  t.notOk(fs.existsSync(path.join(root, 'podshim')))
})

t.test('an existing pod cgroup is an error and is left alone', async (t) => {
  const { cgfs, opts, podDir } = setup(t, { controllers: ALL })
  cgfs.mkdir(path.dirname(podDir))
  cgfs.mkdir(podDir)
  t.throws(() => createPodCgroup(opts), /create cgroup .*: EEXIST.*removeStalePodCgroup/)
  t.ok(fs.existsSync(podDir))
  t.equal(await removeStalePodCgroup(opts.root, 'podshim', UID, { fs: cgfs }), true)
  t.notOk(fs.existsSync(path.dirname(podDir)))
  t.equal(await removeStalePodCgroup(opts.root, 'podshim', UID, { fs: cgfs }), false)
})

t.test('names that are not plain directory names are refused', async (t) => {
  const { opts } = setup(t, { controllers: ALL })
  t.throws(() => createPodCgroup({ ...opts, podUid: '../x' }), /check cgroup pod uid: "..\/x"/)
  t.throws(() => createPodCgroup({ ...opts, leaves: ['cgroup.procs'] }), /check cgroup leaf/)
  t.throws(() => createPodCgroup({ ...opts, parent: '/abs' }), /check cgroup parent/)
})

t.test('killAll uses cgroup.kill; remove waits and keeps a parent another pod uses', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL })
  const a = createPodCgroup(opts)
  const b = createPodCgroup({ ...opts, podUid: 'other-pod' })
  cgfs.writeFile(path.join(a.leafPath('app'), 'cgroup.procs'), String(process.pid))
  a.killAll()
  t.equal(cgfs.kills, 1)
  t.equal(read(path.join(a.leafPath('app'), 'cgroup.procs')), '')
  await a.remove()
  t.notOk(fs.existsSync(a.path))
  t.ok(fs.existsSync(path.join(root, 'podshim')), 'pod b still uses the parent')
  await b.remove()
  t.notOk(fs.existsSync(path.join(root, 'podshim')))
})

t.test('without cgroup.kill, each pid gets SIGKILL', async (t) => {
  const { cgfs, opts } = setup(t, { controllers: ALL, hasKill: false })
  const cg = createPodCgroup(opts)
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  cgfs.writeFile(path.join(cg.leafPath('app'), 'cgroup.procs'), String(child.pid))
  const exited = once(child, 'exit')
  cg.killAll()
  const [, signal] = await exited
  t.equal(signal, 'SIGKILL')
  await cg.remove()
  t.notOk(fs.existsSync(cg.path))
})

t.test('remove gives up after its timeout when the tree stays populated', async (t) => {
  const { cgfs, opts } = setup(t, { controllers: ALL, isKillEffective: false })
  const cg = createPodCgroup(opts)
  cgfs.writeFile(path.join(cg.leafPath('app'), 'cgroup.procs'), String(process.pid))
  await t.rejects(cg.remove(50), /remove cgroup .*: still populated after 50 ms/)
  fs.writeFileSync(path.join(cg.leafPath('app'), 'cgroup.procs'), '')
  await cg.remove()
})

t.test('a configured parent podshim did not create is not removed', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL }, { parent: 'custom' })
  cgfs.mkdir(path.join(root, 'custom'))
  const cg = createPodCgroup(opts)
  await cg.remove()
  t.ok(fs.existsSync(path.join(root, 'custom')))
})

t.test('oomKilled compares oom_kill with the count at start', async (t) => {
  const { opts } = setup(t, { controllers: ALL })
  const cg = createPodCgroup(opts)
  const events = path.join(cg.leafPath('app'), 'memory.events')
  fs.writeFileSync(events, 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n')
  t.equal(cg.markStarted('app'), 2)
  t.equal(cg.oomKilled('app'), false)
  fs.writeFileSync(events, 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\noom_group_kill 0\n')
  t.equal(cg.oomKilled('app'), true)
  t.equal(cg.oomKilled('app', 3), false, 'the caller can pass the previous count')
  t.same(cg.readMemoryEvents('app'), { low: 0, high: 0, max: 9, oom: 3, oomKill: 3, oomGroupKill: 0 })
  await cg.remove()
})
