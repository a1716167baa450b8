// The levels of a nested --cgroup-parent shared by many pods: whichever run
// made a level, the last pod out removes it, and a run making its pod
// cgroup while another removes the levels under it makes them again.
import t, { Test } from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { createPodCgroup, PAUSE_LEAF } from '../../../src/cgroup/pod-cgroup'
import type { CreatePodCgroupOptions } from '../../../src/cgroup/pod-cgroup'
import { removeStalePodCgroup } from '../../../src/cgroup/stale-cgroup'
import { podshimParentLevels } from '../../../src/cgroup/cgroup-levels'
import { containerCgroupValues, pauseCgroupValues, podCgroupValues } from '../../../src/cgroup/values'
import { FakeCgroupFs, FakeOptions } from './fixtures/fake-cgroup-fs'

const MI = 1024 * 1024
const ALL = ['cpu', 'memory', 'pids', 'hugetlb']
const app = { name: 'app', requests: { milliCpu: 250 }, limits: { milliCpu: 500, memoryBytes: 128 * MI } }

const setup = (t: Test, parent: string, fake: Partial<FakeOptions> = {}) => {
  const root = t.testdir({})
  const cgfs = new FakeCgroupFs(root, { controllers: ALL, ...fake })
  const options = (podUid: string): CreatePodCgroupOptions => ({
    root,
    parent,
    podUid,
    leaves: [PAUSE_LEAF, 'app'],
    pod: podCgroupValues({ containers: [app] }, { pidsLimit: 100 }),
    containers: new Map([[PAUSE_LEAF, pauseCgroupValues()], ['app', containerCgroupValues(app)]]),
    fs: cgfs,
  })
  return { root, cgfs, options }
}

t.test('the run that made the nested levels ends first: the last pod out removes them', async (t) => {
  const { root, options } = setup(t, 'shared/nested/deep')
  const first = createPodCgroup(options('pod-1'))
  const second = createPodCgroup(options('pod-2'))
  await first.remove()
  t.ok(fs.existsSync(second.path), 'the other pod keeps its levels')
  await second.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')), 'no level is left')
})

t.test('a pod made while another removes the levels above it: the last one out removes them all', async (t) => {
  let second: ReturnType<typeof createPodCgroup> | undefined
  const nested = (root: string): string => path.join(root, 'shared', 'nested')
  const { root, options } = setup(t, 'shared/nested/deep', {
    beforeRmdir: (p) => {
      // deep is gone already, nested about to go: the second pod makes deep again
      if (p === nested(root) && second === undefined) second = createPodCgroup(options('pod-2'))
    },
  })
  const first = createPodCgroup(options('pod-1'))
  await first.remove()
  t.ok(second !== undefined && fs.existsSync(second.path), 'the second pod was made in between')
  await second!.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')), 'the levels the first run made are gone too')
})

t.test('a pod joining levels another run made enables there what it needs: they are podshim\'s', async (t) => {
  const { root, cgfs, options } = setup(t, 'shared/nested')
  // the first pod needs only the memory controller (its leaves')
  const bare = createPodCgroup({ ...options('pod-1'), pod: { files: {}, declared: [] }, containers: new Map() })
  t.equal(fs.readFileSync(path.join(root, 'shared', 'nested', 'cgroup.subtree_control'), 'utf8').trim(), 'memory')
  const strict = createPodCgroup({ ...options('pod-2'), strict: true })
  t.same(strict.unenforced, [], 'every limit enforced')
  t.equal(fs.readFileSync(path.join(strict.leafPath('app'), 'memory.max'), 'utf8').trim(), String(128 * MI))
  t.ok(cgfs.writes.some((w) => w.path === path.join(root, 'shared', 'nested', 'cgroup.subtree_control') && w.data.includes('+cpu')), 'cpu enabled in the shared level')
  await bare.remove()
  await strict.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')))
})

t.test('levels removed as a pod being made looks at their marks: its gate is still the level above podshim\'s', async (t) => {
  let isArmed = false
  const { root, options } = setup(t, 'shared/nested', {
    beforeGetXattr: (p) => {
      // the other pod's teardown, between the look at cgroup.controllers and the one at the mark
      if (isArmed && p === path.join(root, 'shared', 'nested')) {
        isArmed = false
        fs.rmSync(path.join(root, 'shared'), { recursive: true })
      }
    },
  })
  createPodCgroup(options('pod-0'))
  isArmed = true
  const cg = createPodCgroup({ ...options('pod-1'), strict: true })
  t.notOk(isArmed, 'the levels went away in between')
  t.same(cg.unenforced, [], 'every limit enforced: the root is the gate, not a level that is gone')
  t.equal(fs.readFileSync(path.join(cg.leafPath('app'), 'memory.max'), 'utf8').trim(), String(128 * MI))
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')))
})

t.test('levels removed under a pod being made, again and again: it is made all the same', async (t) => {
  let removals = 0
  let podDir = ''
  const { root, cgfs, options } = setup(t, 'shared/nested', {
    beforeMkdir: (p) => {
      // ten other pods' teardowns, each removing the levels just before the pod's own mkdir
      if (p === podDir && removals < 10) {
        removals++
        fs.rmSync(path.join(root, 'shared'), { recursive: true })
      }
    },
  })
  podDir = path.join(root, 'shared', 'nested', 'pod-1')
  cgfs.mkdir(path.join(root, 'shared'))
  const cg = createPodCgroup(options('pod-1'))
  t.equal(removals, 10)
  t.ok(fs.statSync(cg.leafPath('app')).isDirectory(), 'the pod cgroup was made')
  await cg.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared', 'nested')), 'the levels it made are gone')
})

t.test('a stale pod\'s cleanup removes the empty levels any podshim run made, recorded or not', async (t) => {
  const { root, cgfs, options } = setup(t, 'kept/made/deep')
  cgfs.mkdir(path.join(root, 'kept'))
  createPodCgroup(options('pod-1'))
  // a run joins, and is killed too: its record names no level it made
  createPodCgroup(options('pod-2'))
  t.equal(await removeStalePodCgroup(root, 'kept/made/deep', 'pod-1', { fs: cgfs, madeLevels: ['kept/made', 'kept/made/deep'] }), true)
  t.ok(fs.existsSync(path.join(root, 'kept', 'made', 'deep', 'pod-2')), 'the other pod keeps the levels')
  t.equal(await removeStalePodCgroup(root, 'kept/made/deep', 'pod-2', { fs: cgfs, madeLevels: [] }), true)
  t.notOk(fs.existsSync(path.join(root, 'kept', 'made')), 'the levels podshim made are gone')
  t.ok(fs.existsSync(path.join(root, 'kept')), 'the level someone else made stays')
})

t.test('without extended attributes: the run that made the levels removes them when empty, as before', async (t) => {
  const { root, options } = setup(t, 'shared/nested', { hasXattrs: false })
  const first = createPodCgroup(options('pod-1'))
  const second = createPodCgroup(options('pod-2'))
  await second.remove()
  t.ok(fs.existsSync(first.path))
  await first.remove()
  t.notOk(fs.existsSync(path.join(root, 'shared')))
})

t.test('no run looks at the levels while another makes and marks one: all of it under a lock of the cgroup2 root', async (t) => {
  const unlocked: string[] = []
  const check = (what: string) => (p: string): void => {
    if (!s.cgfs.locked.has(s.root)) unlocked.push(`${what} ${p}`)
  }
  const s = setup(t, 'shared/nested/deep', { beforeMkdir: check('mkdir'), beforeGetXattr: check('getxattr') })
  const pod = createPodCgroup(s.options('pod-1'))
  t.same(unlocked, [], 'every mkdir and mark read under the lock')
  t.same(s.cgfs.locks, [s.root], 'one lock, of the root')
  t.same([...s.cgfs.locked], [], 'released')
  await pod.remove()
})

t.test('a podshim* parent of one level is podshim\'s by its name: no lock, no mark (and no ffi-rs for them)', async (t) => {
  const { root, cgfs, options } = setup(t, 'podshim-named', {
    beforeGetXattr: (p) => t.fail(`getxattr ${p}`),
  })
  const pod = createPodCgroup(options('pod-1'))
  t.same(cgfs.locks, [], 'no lock')
  t.same(fs.readdirSync(path.join(root, 'podshim-named')).filter((n) => n.startsWith('.xattr')), [], 'no mark')
  await pod.remove()
  t.notOk(fs.existsSync(path.join(root, 'podshim-named')), 'removed by its name')
})

t.test('a stale pod whose record names no level, under marked levels one of which is gone: the marked ones above are removed', async (t) => {
  const { root, cgfs, options } = setup(t, 'shared/nested/deep')
  const pod = createPodCgroup(options('pod-1'))
  // killed during its teardown, between two rmdirs: its pod and deep gone, nested and shared left
  fs.rmSync(pod.path, { recursive: true })
  fs.rmSync(path.join(root, 'shared/nested/deep'), { recursive: true })
  await removeStalePodCgroup(root, 'shared/nested/deep', 'pod-1', { fs: cgfs, madeLevels: [] })
  t.notOk(fs.existsSync(path.join(root, 'shared')), 'no level is left')
})

t.test('a record names podshim\'s levels: the marked ones present and the missing ones, not someone else\'s above them', async (t) => {
  const { root, cgfs, options } = setup(t, 'theirs/shared/nested')
  cgfs.mkdir(path.join(root, 'theirs'))
  t.same(podshimParentLevels(root, 'theirs/shared/nested', cgfs), ['theirs/shared', 'theirs/shared/nested'], 'missing')
  const pod = createPodCgroup(options('pod-1'))
  t.same(podshimParentLevels(root, 'theirs/shared/nested', cgfs), ['theirs/shared', 'theirs/shared/nested'], 'made and marked by another run')
  await pod.remove()
})
