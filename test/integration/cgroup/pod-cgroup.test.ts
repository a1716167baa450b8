// The pod cgroup manager on the real cgroup2 hierarchy, as root. Works on a
// hybrid host (cpu/memory/pids bound to v1: limits reported unenforced) and
// on a pure v2 VM (limits written and read back); expectations come from the
// hierarchy's own cgroup.controllers. Everything lives under a parent unique
// to each test, never `podshim`, and is removed by that test's teardown even
// when it fails.

import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { randomBytes } from 'node:crypto'
import { spawn, ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { findCgroup2Mount, findCgroupV1Controllers } from '../../../src/cgroup/mount'
import { createPodCgroup, PAUSE_LEAF } from '../../../src/cgroup/pod-cgroup'
import { removeStalePodCgroup } from '../../../src/cgroup/stale-cgroup'
import { LEVEL_MARK } from '../../../src/cgroup/cgroup-levels'
import { nodeCgroupFs } from '../../../src/cgroup/cgroup-fs'
import type { CreatePodCgroupOptions } from '../../../src/cgroup/pod-cgroup'
import { containerCgroupValues, pauseCgroupValues, podCgroupValues } from '../../../src/cgroup/values'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create cgroups in the cgroup2 hierarchy')
  process.exit(0)
}

const MI = 1024 * 1024
const root = findCgroup2Mount()
const available = new Set(fs.readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/))
const app = { name: 'app', requests: { milliCpu: 250 }, limits: { milliCpu: 500, memoryBytes: 128 * MI } }

interface Fresh {
  parent: string
  parentDir: string
  /** a cgroup of the test's own standing for one podshim did not create (a systemd slice, say) */
  gate: string
  gateDir: string
  /** processes the test started: SIGKILLed at teardown */
  children: ChildProcess[]
  options(podUid: string, strict?: boolean): CreatePodCgroupOptions
}

/** Names of this test's own, and a teardown that removes whatever of them is left. */
function fresh(t: Test): Fresh {
  const parent = `podshim-test-${randomBytes(4).toString('hex')}`
  const parentDir = path.join(root, parent)
  const gate = `${parent}-gate`
  const gateDir = path.join(root, gate)
  const children: ChildProcess[] = []
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const uid of ['pod-a', 'pod-strict']) await removeStalePodCgroup(root, parent, uid).catch(() => undefined)
    for (const p of [`${gate}/podshim`, `${gate}/custom`]) await removeStalePodCgroup(root, p, 'pod-gated').catch(() => undefined)
    for (const p of [parent, gate]) await removeStalePodCgroup(root, `${p}/kubepods/burstable`, 'pod-nested').catch(() => undefined)
    const nested = (dir: string): string[] => [path.join(dir, 'kubepods', 'burstable'), path.join(dir, 'kubepods')]
    for (const dir of [...nested(parentDir), parentDir, path.join(gateDir, 'podshim'), path.join(gateDir, 'custom'), ...nested(gateDir), gateDir]) {
      try {
        fs.rmdirSync(dir)
      } catch {
        // already gone
      }
    }
  })
  const options = (podUid: string, strict = false): CreatePodCgroupOptions => ({
    root,
    parent,
    podUid,
    leaves: [PAUSE_LEAF, 'app'],
    pod: podCgroupValues({ containers: [app] }, { pidsLimit: 64 }),
    containers: new Map([[PAUSE_LEAF, pauseCgroupValues()], ['app', containerCgroupValues(app)]]),
    strict,
    v1Controllers: findCgroupV1Controllers(),
  })
  return { parent, parentDir, gate, gateDir, children, options }
}

const controllersIn = (file: string): string[] => fs.readFileSync(file, 'utf8').split(/\s+/).filter((c) => c !== '')

t.test('create, enforce or report, run a process, kill it, remove', async (t) => {
  const { parent, parentDir, children, options } = fresh(t)
  const cg = createPodCgroup(options('pod-a'))
  t.ok(fs.statSync(path.join(parentDir, 'pod-a', PAUSE_LEAF)).isDirectory())
  t.ok(fs.statSync(cg.leafPath('app')).isDirectory())

  const expected: Array<[string | undefined, string, string]> = [
    [undefined, 'cpu.weight', '10'],
    [undefined, 'cpu.max', '50000 100000'],
    [undefined, 'memory.max', String(128 * MI)],
    [undefined, 'pids.max', '64'],
    ['app', 'cpu.weight', '35'],
    ['app', 'cpu.max', '50000 100000'],
    ['app', 'memory.max', String(128 * MI)],
  ]
  for (const [container, file, value] of expected) {
    const resource = file.slice(0, file.indexOf('.'))
    const dir = container === undefined ? cg.path : cg.leafPath(container)
    const listed = cg.unenforced.find((u) => u.container === container && u.file === file)
    if (available.has(resource)) {
      t.equal(listed, undefined, `${file} of ${container ?? 'the pod'} is enforced`)
      t.equal(fs.readFileSync(path.join(dir, file), 'utf8').trim(), value, `${file} holds ${value}`)
    } else {
      t.equal(listed?.value, value, `${file} of ${container ?? 'the pod'} is listed unenforced`)
      t.match(listed?.reason, `${resource} controller not available in cgroup v2 hierarchy ${root}`)
    }
  }
  t.equal(cg.unenforced.length, expected.filter(([, f]) => !available.has(f.slice(0, f.indexOf('.')))).length)

  const fd = cg.openLeaf('app')
  t.ok(fs.fstatSync(fd).isDirectory())
  fs.closeSync(fd)

  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  children.push(child)
  await once(child, 'spawn')
  fs.writeFileSync(path.join(cg.leafPath('app'), 'cgroup.procs'), String(child.pid))
  const own = fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')
  t.match(own, `0::/${parent}/pod-a/app`, 'the process is in the leaf')
  t.equal(cg.oomKilled('app'), false)

  const exited = once(child, 'exit')
  cg.killAll()
  const [, signal] = await exited
  t.equal(signal, 'SIGKILL', 'killAll killed it')

  await cg.remove()
  t.notOk(fs.existsSync(cg.path), 'the pod cgroup is gone')
  t.notOk(fs.existsSync(parentDir), 'the test parent is gone')
})

t.test('strict mode throws when a limit cannot be enforced and leaves nothing', async (t) => {
  const { parentDir, options } = fresh(t)
  const isMissing = ['cpu', 'memory', 'pids'].some((c) => !available.has(c))
  if (isMissing) {
    t.throws(() => createPodCgroup(options('pod-strict', true)), /limits not enforceable: .*controller not available/)
    t.notOk(fs.existsSync(parentDir), 'nothing created')
  } else {
    const cg = createPodCgroup(options('pod-strict', true))
    t.same(cg.unenforced, [])
    await cg.remove()
    t.notOk(fs.existsSync(parentDir))
  }
})

t.test('a cgroup podshim did not create is never written: what it does not hand down is reported', async (t) => {
  const { gate, gateDir, options } = fresh(t)
  fs.mkdirSync(gateDir)
  const gateControl = path.join(gateDir, 'cgroup.subtree_control')
  const has = new Set(controllersIn(path.join(gateDir, 'cgroup.controllers')))
  t.same(controllersIn(gateControl), [], 'the gate hands nothing down')
  const expectReason = (resource: string): string => has.has(resource)
    ? `${resource} controller not enabled in ${gateControl} (podshim changes no cgroup it did not create)`
    : `${resource} controller not available in cgroup v2 hierarchy ${gateDir}`

  // a podshim parent below it: podshim makes it, but does not enable anything in the gate
  const cg = createPodCgroup({ ...options('pod-gated'), parent: `${gate}/podshim` })
  t.same(controllersIn(gateControl), [], 'the gate is not written')
  t.equal(cg.unenforced.length, 7, 'every declared value is listed')
  for (const u of cg.unenforced) t.match(u.reason, expectReason(u.resource), `${u.file} of ${u.container ?? 'the pod'}: says why`)
  t.notOk(fs.existsSync(path.join(cg.leafPath('app'), 'cpu.max')), 'no cpu controller reached the leaf')
  await cg.remove()
  t.notOk(fs.existsSync(path.join(gateDir, 'podshim')), 'its own parent is removed')

  // a parent someone else made: used as it is
  const custom = path.join(gateDir, 'custom')
  fs.mkdirSync(custom)
  const other = createPodCgroup({ ...options('pod-gated'), parent: `${gate}/custom` })
  t.same(controllersIn(path.join(custom, 'cgroup.subtree_control')), [], 'the parent someone else made is not written')
  t.same(controllersIn(gateControl), [], 'nor the gate')
  t.equal(other.unenforced.length, 7)
  for (const u of other.unenforced) t.match(u.reason, `${u.resource} controller not available in cgroup v2 hierarchy ${custom}`)
  await other.remove()
  t.ok(fs.existsSync(custom), 'the parent someone else made stays')
  fs.rmdirSync(custom)
  fs.rmdirSync(gateDir)
})

t.test('a nested parent: the levels podshim makes are its own; one it did not make is neither written nor removed', async (t) => {
  const { parent, parentDir, gate, gateDir, children, options } = fresh(t)
  const cg = createPodCgroup({ ...options('pod-nested'), parent: `${parent}/kubepods/burstable` })
  t.equal(cg.path, path.join(parentDir, 'kubepods', 'burstable', 'pod-nested'), 'every missing level is made')
  const child = spawn('sleep', ['30'], { stdio: 'ignore' })
  children.push(child)
  await once(child, 'spawn')
  fs.writeFileSync(path.join(cg.leafPath('app'), 'cgroup.procs'), String(child.pid))
  t.match(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8'), `0::/${parent}/kubepods/burstable/pod-nested/app`, 'the process is in the leaf')
  const exited = once(child, 'exit')
  await cg.remove()
  t.equal((await exited)[1], 'SIGKILL', 'remove killed it')
  t.notOk(fs.existsSync(parentDir), 'every level it made is gone')

  fs.mkdirSync(gateDir)
  const gateControl = path.join(gateDir, 'cgroup.subtree_control')
  const gated = createPodCgroup({ ...options('pod-nested'), parent: `${gate}/kubepods/burstable` })
  t.ok(fs.statSync(gated.leafPath('app')).isDirectory(), 'made below a level someone else made')
  t.same(controllersIn(gateControl), [], 'which is not written')
  await gated.remove()
  t.notOk(fs.existsSync(path.join(gateDir, 'kubepods')), 'the levels it made are gone')
  t.ok(fs.existsSync(gateDir), 'the level someone else made stays')
  fs.rmdirSync(gateDir)
})

t.test('nested levels carry podshim\'s mark: the last pod out removes them, whichever run made them', async (t) => {
  const { parent, parentDir, options } = fresh(t)
  const nested = `${parent}/kubepods/burstable`
  t.teardown(async () => {
    for (const uid of ['pod-first', 'pod-second']) await removeStalePodCgroup(root, nested, uid).catch(() => undefined)
  })
  const first = createPodCgroup({ ...options('pod-first'), parent: nested })
  const levels = [parentDir, path.join(parentDir, 'kubepods'), path.join(parentDir, 'kubepods', 'burstable')]
  for (const dir of levels) t.ok(nodeCgroupFs.hasXattr(dir, LEVEL_MARK), `${dir} is marked as podshim's`)
  t.notOk(nodeCgroupFs.hasXattr(first.path, LEVEL_MARK), 'the pod cgroup is not a level')
  const second = createPodCgroup({ ...options('pod-second'), parent: nested })
  await first.remove()
  t.ok(fs.existsSync(second.path), 'the first run out leaves the levels to the pod still in them')
  await second.remove()
  t.notOk(fs.existsSync(parentDir), 'the last one out removes every level')
})
