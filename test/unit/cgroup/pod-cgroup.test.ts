import t, { Test } from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createPodCgroup, PAUSE_LEAF } from '../../../src/cgroup/pod-cgroup'
import { podshimParentLevels } from '../../../src/cgroup/cgroup-levels'
import { removeStalePodCgroup } from '../../../src/cgroup/stale-cgroup'
import { describeUnenforced } from '../../../src/cgroup/delegation'
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
    leaves: [PAUSE_LEAF, 'app', 'side'],
    pod: podCgroupValues({ containers: [app, side] }, { pidsLimit: 100 }),
    containers: new Map([
      [PAUSE_LEAF, pauseCgroupValues()],
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
  t.equal(read(path.join(root, 'cgroup.subtree_control')), 'cpu memory pids hugetlb', 'the root is left as it was')
  t.equal(read(path.join(root, 'podshim', 'cgroup.subtree_control')), 'cpu pids memory', 'parent: no hugetlb')
  t.equal(read(path.join(podDir, 'cgroup.subtree_control')), 'cpu memory', 'pod: no pids for leaves')
  t.equal(read(path.join(podDir, 'cpu.weight')), '10', 'Burstable pod: shares 256 from 250m, linear')
  t.equal(read(path.join(podDir, 'pids.max')), '100')
  t.equal(read(path.join(podDir, 'cpu.max')), 'max 100000', 'not every container has a cpu limit')
  t.equal(read(path.join(podDir, 'app', 'cpu.weight')), '35')
  t.equal(read(path.join(podDir, 'app', 'cpu.max')), '50000 100000')
  t.equal(read(path.join(podDir, 'app', 'memory.max')), String(128 * MI))
  t.equal(read(path.join(podDir, PAUSE_LEAF, 'cpu.weight')), '1')
  t.equal(cg.leafPath('app'), path.join(podDir, 'app'))
  t.throws(() => cg.leafPath('nope'), /find cgroup leaf "nope": not a leaf of pod/)
  const fd = cg.openLeaf('app')
  t.ok(fs.fstatSync(fd).isDirectory())
  fs.closeSync(fd)
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'podshim')), 'the podshim parent is gone')
  t.ok(cgfs.writes.length > 0 && cgfs.writes.every((w) => w.path.startsWith(path.join(root, 'podshim') + path.sep)), 'writes only in its own cgroups')
})

t.test('hybrid: nothing enforced, nothing written outside podshim, one list of limits', async (t) => {
  const v1 = new Map([['cpu', '/sys/fs/cgroup/cpu']])
  const { root, cgfs, opts, podDir } = setup(t, { controllers: ['hugetlb'] }, { v1Controllers: v1 })
  const cg = createPodCgroup(opts)
  t.ok(fs.statSync(path.join(podDir, PAUSE_LEAF)).isDirectory())
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

t.test('a controller the root has but does not hand down: not enabled there, reported unenforced', async (t) => {
  const { root, cgfs, opts, podDir } = setup(t, { controllers: ALL, rootSubtreeControl: ['cpu'] })
  const cg = createPodCgroup(opts)
  t.equal(read(path.join(root, 'cgroup.subtree_control')), 'cpu', 'the root is not written')
  t.same(cgfs.writes.filter((w) => !w.path.startsWith(path.join(root, 'podshim') + path.sep)), [], 'no write outside its own cgroups')
  t.equal(read(path.join(podDir, 'app', 'cpu.max')), '50000 100000', 'cpu, handed down, is enforced')
  const subtreeControl = path.join(root, 'cgroup.subtree_control')
  t.same(cg.unenforced.map((u) => [u.container, u.file, u.reason]), [
    [undefined, 'pids.max', `pids controller not enabled in ${subtreeControl} (podshim changes no cgroup it did not create)`],
    ['app', 'memory.max', `memory controller not enabled in ${subtreeControl} (podshim changes no cgroup it did not create)`],
  ])
  await cg.remove()
  t.throws(() => createPodCgroup({ ...opts, strict: true }), /limits not enforceable: .*memory.max "134217728" of container "app": memory controller not enabled in /)
  t.notOk(fs.existsSync(path.join(root, 'podshim')), 'strict: nothing created')
})

t.test('a parent someone else made: its cgroup.subtree_control is left as it is', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL }, { parent: 'custom' })
  const custom = path.join(root, 'custom')
  cgfs.mkdir(custom)
  fs.writeFileSync(path.join(custom, 'cgroup.subtree_control'), 'cpu\n')
  const cg = createPodCgroup(opts)
  t.equal(read(path.join(custom, 'cgroup.subtree_control')), 'cpu', 'not written')
  t.same(cgfs.writes.filter((w) => !w.path.startsWith(cg.path + path.sep)), [], 'writes only in the pod cgroup')
  t.same(cg.unenforced.map((u) => [u.container, u.file]), [[undefined, 'pids.max'], ['app', 'memory.max']])
  t.match(cg.unenforced[0].reason, `pids controller not enabled in ${path.join(custom, 'cgroup.subtree_control')}`)
  await cg.remove()
  t.ok(fs.existsSync(custom), 'and not removed')
})

t.test('leaves get the memory controller without any memory limit, so OOM kills are counted', async (t) => {
  const bare = { name: 'app', requests: {}, limits: {} }
  const { opts, podDir } = setup(t, { controllers: ALL }, {
    pod: podCgroupValues({ containers: [bare] }),
    containers: new Map([[PAUSE_LEAF, pauseCgroupValues()], ['app', containerCgroupValues(bare)]]),
    leaves: [PAUSE_LEAF, 'app'],
  })
  const cg = createPodCgroup(opts)
  t.equal(read(path.join(podDir, 'cgroup.subtree_control')), 'cpu memory')
  t.ok(fs.existsSync(path.join(cg.leafPath('app'), 'memory.events')), 'the leaf has memory.events')
  await cg.remove()
})

t.test('the shared parent removed by another pod between the two mkdirs is made again', async (t) => {
  let isRemoved = false
  const { root, cgfs, opts, podDir } = setup(t, {
    controllers: ALL,
    beforeMkdir: (p) => {
      // another pod's teardown: its rmdir of the (then empty) parent
      if (p === podDir && !isRemoved) {
        isRemoved = true
        fs.rmSync(path.dirname(podDir), { recursive: true })
      }
    },
  })
  cgfs.mkdir(path.join(root, 'podshim'))
  const cg = createPodCgroup(opts)
  t.ok(isRemoved, 'the parent went away in between')
  t.ok(fs.statSync(cg.leafPath('app')).isDirectory(), 'the pod cgroup was made all the same')
  t.equal(read(path.join(podDir, 'app', 'memory.max')), String(128 * MI))
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'podshim')))
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

t.test('a process that enters a leaf after the check: the EBUSY rmdir is retried after a kill', async (t) => {
  const late = spawn('sleep', ['30'], { stdio: 'ignore' })
  t.teardown(() => { if (late.exitCode === null && late.signalCode === null) late.kill('SIGKILL') })
  await once(late, 'spawn')
  let appDir = ''
  let isEntered = false
  const { opts } = setup(t, {
    controllers: ALL,
    hasKill: false,
    beforeRmdir: (p) => {
      if (p === appDir && !isEntered) {
        isEntered = true
        fs.appendFileSync(path.join(p, 'cgroup.procs'), `${late.pid}\n`)
      }
    },
  })
  const cg = createPodCgroup(opts)
  appDir = cg.leafPath('app')
  const exited = once(late, 'exit')
  await cg.remove()
  t.ok(isEntered, 'the process entered between the check and the rmdir')
  t.equal((await exited)[1], 'SIGKILL', 'the retry killed it')
  t.notOk(fs.existsSync(cg.path), 'the pod cgroup is gone')
})

t.test('an rmdir that stays EBUSY: the error names the cgroup and the errno', async (t) => {
  const ebusy = (p: string) => Object.assign(new Error(`EBUSY: resource busy or locked, rmdir '${p}'`), { code: 'EBUSY' })
  let isBusy = true
  let appDir = ''
  const { opts } = setup(t, {
    controllers: ALL,
    beforeRmdir: (p) => {
      if (isBusy && p === appDir) throw ebusy(p)
    },
  })
  const cg = createPodCgroup(opts)
  appDir = cg.leafPath('app')
  await t.rejects(cg.remove(50), { message: `remove cgroup ${appDir}: EBUSY: resource busy or locked, rmdir '${appDir}' (for 50 ms)` })
  isBusy = false
  await cg.remove()
  t.notOk(fs.existsSync(cg.path))
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

t.test('every container leaf gets kubelet\'s memory.oom.group 1 and memory.swap.max 0, the latter only where swap is accounted', async (t) => {
  const { cgfs, opts, podDir } = setup(t, { controllers: ALL })
  createPodCgroup(opts)
  for (const leaf of ['app', 'side']) {
    t.equal(read(path.join(podDir, leaf, 'memory.oom.group')), '1', `${leaf}: an OOM kill takes the whole container`)
    t.equal(read(path.join(podDir, leaf, 'memory.swap.max')), '0', `${leaf}: no swap`)
  }
  t.equal(read(path.join(podDir, PAUSE_LEAF, 'memory.oom.group')), '0', 'pause: left as it is')
  t.notOk(cgfs.writes.some((w) => w.path.startsWith(path.join(podDir, PAUSE_LEAF, 'memory.'))))

  const noSwap = setup(t, { controllers: ALL, hasSwapAccounting: false })
  const cg = createPodCgroup(noSwap.opts)
  t.same(cg.unenforced, [], 'no swap accounting is nothing to warn about')
  t.notOk(fs.existsSync(path.join(noSwap.podDir, 'app', 'memory.swap.max')))
  t.equal(read(path.join(noSwap.podDir, 'app', 'memory.oom.group')), '1')
})

t.test('a nested parent: each missing level is made, enabled and removed when empty, bottom-up', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL }, { parent: 'kubepods/burstable/podshim-x' })
  const top = path.join(root, 'kubepods')
  const cg = createPodCgroup(opts)
  t.equal(cg.path, path.join(top, 'burstable', 'podshim-x', UID))
  t.same(cg.unenforced, [])
  for (const dir of ['kubepods', 'kubepods/burstable', 'kubepods/burstable/podshim-x']) {
    t.equal(read(path.join(root, dir, 'cgroup.subtree_control')), 'cpu pids memory', `${dir}: made and enabled`)
  }
  t.equal(read(path.join(cg.leafPath('app'), 'memory.max')), String(128 * MI), 'the controllers reach the leaves')
  t.ok(cgfs.writes.every((w) => w.path.startsWith(top + path.sep)), 'writes only in its own cgroups')
  // a second pod finds the levels there, podshim's (its mark): as it ends, the first pod keeps them
  const other = createPodCgroup({ ...opts, podUid: 'other-pod' })
  await other.remove()
  t.ok(fs.existsSync(cg.path), 'the first pod keeps the levels above it')
  await cg.remove()
  t.notOk(fs.existsSync(top), 'every level podshim made is gone')
})

t.test('a nested parent below levels someone else made: those are neither written nor removed', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL }, { parent: 'system.slice/custom/a/b' })
  const custom = path.join(root, 'system.slice', 'custom')
  cgfs.mkdir(path.dirname(custom))
  fs.writeFileSync(path.join(path.dirname(custom), 'cgroup.subtree_control'), 'cpu memory pids\n')
  cgfs.mkdir(custom)
  fs.writeFileSync(path.join(custom, 'cgroup.subtree_control'), 'cpu memory\n')
  const cg = createPodCgroup(opts)
  t.equal(read(path.join(custom, 'cgroup.subtree_control')), 'cpu memory', 'the gate is not written')
  t.same(cgfs.writes.filter((w) => !w.path.startsWith(path.join(custom, 'a') + path.sep)), [], 'writes only in the levels it made')
  t.same(cg.unenforced.map((u) => [u.container, u.file]), [[undefined, 'pids.max']], 'what the gate does not hand down is reported')
  t.match(cg.unenforced[0].reason, `pids controller not enabled in ${path.join(custom, 'cgroup.subtree_control')}`)
  t.equal(read(path.join(custom, 'a', 'b', 'cgroup.subtree_control')), 'cpu memory')
  await cg.remove()
  t.notOk(fs.existsSync(path.join(custom, 'a')), 'the levels it made are gone')
  t.ok(fs.existsSync(custom), 'the levels someone else made stay')
})

t.test('nested levels removed by another pod between the mkdirs are made again, and are then its own', async (t) => {
  let podDir = ''
  let isRemoved = false
  const { root, cgfs, opts } = setup(t, {
    controllers: ALL,
    beforeMkdir: (p) => {
      // another pod's teardown: its rmdir of the (then empty) levels it made
      if (p === podDir && !isRemoved) {
        isRemoved = true
        fs.rmSync(path.join(root, 'shared'), { recursive: true })
      }
    },
  }, { parent: 'shared/nested' })
  podDir = path.join(root, 'shared', 'nested', UID)
  cgfs.mkdir(path.join(root, 'shared'))
  cgfs.mkdir(path.join(root, 'shared', 'nested'))
  const cg = createPodCgroup(opts)
  t.ok(isRemoved, 'the levels went away in between')
  t.ok(fs.statSync(cg.leafPath('app')).isDirectory(), 'the pod cgroup was made all the same')
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')), 'the levels it made again are its own, removed when empty')
})

t.test('a leaf named twice is refused: two processes would share it', async (t) => {
  const { root, opts } = setup(t, { controllers: ALL })
  t.throws(() => createPodCgroup({ ...opts, leaves: [PAUSE_LEAF, 'app', 'app'] }), /check cgroup leaf: "app" is named twice/)
  t.notOk(fs.existsSync(path.join(root, 'podshim')), 'nothing created')
  t.notOk(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(PAUSE_LEAF), 'pause\'s leaf is no RFC 1123 label: no container can be named like it')
})

t.test('a crashed run\'s nested levels: those its record says it made are removed when empty, one found there is kept', async (t) => {
  const { root, cgfs, opts } = setup(t, { controllers: ALL }, { parent: 'kept/made/podshim' })
  cgfs.mkdir(path.join(root, 'kept'))
  const made = podshimParentLevels(root, 'kept/made/podshim', cgfs)
  t.same(made, ['kept/made', 'kept/made/podshim'], 'recorded before anything is made')
  createPodCgroup(opts)
  // the supervisor is killed here: no remove(); the next run cleans up from the record
  t.equal(await removeStalePodCgroup(root, 'kept/made/podshim', UID, { fs: cgfs, madeLevels: made }), true)
  t.notOk(fs.existsSync(path.join(root, 'kept', 'made')), 'the levels it made are gone')
  t.ok(fs.existsSync(path.join(root, 'kept')), 'the level it found is left')

  // without a record of the levels (an older pod.json) and without podshim's mark (an older podshim made
  // made2, or a kernel refused the mark): only a podshim* last level goes, as before
  cgfs.mkdir(path.join(root, 'kept', 'made2'))
  createPodCgroup({ ...opts, parent: 'kept/made2/podshim' })
  t.equal(await removeStalePodCgroup(root, 'kept/made2/podshim', UID, { fs: cgfs }), true)
  t.notOk(fs.existsSync(path.join(root, 'kept', 'made2', 'podshim')))
  t.ok(fs.existsSync(path.join(root, 'kept', 'made2')), 'an unrecorded level is never removed')
  t.same(podshimParentLevels(root, 'kept', cgfs), [], 'nothing to make')
})
