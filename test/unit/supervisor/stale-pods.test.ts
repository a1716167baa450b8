// What a killed run leaves under <state root>/pods, as files: the next run's
// cleanup removes it, or says why not, and two cleanups at once do the work
// once. Mounts and real cgroups are the integration tests' (as root); the
// cgroup of a pod here is plain directories under a temporary "cgroup root",
// which the cleanup walks as an unpopulated tree.
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'

import { cleanStalePods } from '../../../src/supervisor/stale-pods'
import { readProcStat } from '../../../src/proc-stat'

const UID = '0a1b2c3d-0000-4000-8000-00000000000a'
/** a start time this process never had: its pid with it is a supervisor that is gone */
const GONE_START = '1'
const LONG_AGO = new Date(Date.now() - 3600_000)

function roots(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-stale-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const stateRoot = join(dir, 'state')
  const podsDir = join(stateRoot, 'pods')
  mkdirSync(podsDir, { recursive: true })
  return { dir, stateRoot, podsDir, cgroupRoot: join(dir, 'cgroup'), dataRoot: join(dir, 'data') }
}

/** A pod whose supervisor is gone: its record, state, data and an (unpopulated) cgroup tree. */
function stalePod(r: ReturnType<typeof roots>, uid = UID): { stateDir: string; dataDir: string; cgroupDir: string } {
  const stateDir = join(r.podsDir, uid)
  const dataDir = join(r.dataRoot, 'pods', uid)
  const cgroupDir = join(r.cgroupRoot, 'podshim-unit', uid)
  for (const d of [join(stateDir, 'etc'), join(dataDir, 'volumes'), join(cgroupDir, '_pause')]) mkdirSync(d, { recursive: true })
  writeFileSync(join(stateDir, 'pod.json'), JSON.stringify({
    uid, name: 'stale', namespace: 'default', supervisorPid: process.pid, supervisorStartTime: GONE_START,
    cgroupRoot: r.cgroupRoot, cgroupParent: 'podshim-unit', cgroupParentLevelsMade: ['podshim-unit'], stateDir, dataDir,
  }))
  return { stateDir, dataDir, cgroupDir }
}

t.test('a claim left by a run killed as it made its pod directory is removed, and said', async (t) => {
  const r = roots(t)
  const claim = join(r.podsDir, `.claim-${process.pid}-${GONE_START}-${UID}`)
  mkdirSync(claim)
  writeFileSync(join(claim, 'pod.json'), '{"uid": "0a1b')
  const result = await cleanStalePods(r.stateRoot)
  t.notOk(existsSync(claim), 'the claim is gone')
  t.same(result.warnings, [])
  t.match(result.cleaned, [new RegExp(`removed ${claim}: the claim of pod ${UID} by supervisor pid ${process.pid}, killed`)])
})

t.test('a claim whose maker still runs is left alone, and nothing is said', async (t) => {
  const r = roots(t)
  const claim = join(r.podsDir, `.claim-${process.pid}-${readProcStat(process.pid)!.startTime}-${UID}`)
  mkdirSync(claim)
  t.same(await cleanStalePods(r.stateRoot), { cleaned: [], warnings: [] })
  t.ok(existsSync(claim))
})

for (const [what, write] of [
  ['missing', undefined],
  ['empty', ''],
  ['not JSON', '{"uid": "0a1b2c3d-'],
] as const) {
  t.test(`a pod directory whose pod.json is ${what}, unchanged for long, nothing mounted: removed, and said`, async (t) => {
    const r = roots(t)
    const dir = join(r.podsDir, UID)
    mkdirSync(join(dir, 'containers'), { recursive: true })
    if (write !== undefined) writeFileSync(join(dir, 'pod.json'), write)
    utimesSync(dir, LONG_AGO, LONG_AGO)
    const result = await cleanStalePods(r.stateRoot)
    t.notOk(existsSync(dir), 'it is gone')
    t.same(result.warnings, [])
    t.match(result.cleaned, [new RegExp(`removed ${dir}: .*pod\\.json is ${what}`)])
  })
}

t.test('a pod directory without a record that changed just now is left, with a warning naming it and what to do', async (t) => {
  const r = roots(t)
  const dir = join(r.podsDir, UID)
  mkdirSync(dir)
  const result = await cleanStalePods(r.stateRoot)
  t.ok(existsSync(dir), 'it is left: a run may still be removing it')
  t.same(result.cleaned, [])
  t.match(result.warnings, [new RegExp(`left ${dir} .*pod\\.json is missing.*rm -r ${dir}`)])
})

t.test('a stale pod: its cgroup, data and state are removed', async (t) => {
  const r = roots(t)
  const pod = stalePod(r)
  const result = await cleanStalePods(r.stateRoot)
  t.same(result.warnings, [])
  t.match(result.cleaned, [new RegExp(`cleaned up pod "stale" \\(${UID}\\) left behind by supervisor pid ${process.pid}`)])
  for (const d of [pod.stateDir, pod.dataDir, pod.cgroupDir, join(r.cgroupRoot, 'podshim-unit')]) t.notOk(existsSync(d), `${d} is gone`)
})

t.test('two cleanups at once of the same stale pods: each pod is cleaned up once, and nothing is warned', async (t) => {
  const r = roots(t)
  const uids = Array.from({ length: 4 }, (_, i) => `0a1b2c3d-0000-4000-8000-00000000001${i}`)
  for (const uid of uids) stalePod(r, uid)
  const results = await Promise.all([cleanStalePods(r.stateRoot), cleanStalePods(r.stateRoot), cleanStalePods(r.stateRoot)])
  t.same(results.flatMap((x) => x.warnings), [], 'no warning')
  const cleaned = results.flatMap((x) => x.cleaned)
  t.equal(cleaned.length, uids.length, `one line per pod (${cleaned.join('; ')})`)
  for (const uid of uids) t.equal(cleaned.filter((l) => l.includes(uid)).length, 1, `${uid} cleaned up once`)
  t.same(readdirSync(r.podsDir), [])
})

t.test('a record that is not one podshim wrote there is left, with a warning', async (t) => {
  const r = roots(t)
  const dir = join(r.podsDir, UID)
  mkdirSync(dir)
  writeFileSync(join(dir, 'pod.json'), JSON.stringify({ uid: 'another', supervisorPid: 1 }))
  const result = await cleanStalePods(r.stateRoot)
  t.ok(existsSync(dir))
  t.match(result.warnings, [new RegExp(`left ${dir} as it is: .*not a pod record podshim wrote there`)])
})

t.test('nothing to clean: no lock is taken, nothing is made', async (t) => {
  const r = roots(t)
  t.same(await cleanStalePods(r.stateRoot), { cleaned: [], warnings: [] })
  t.same(readdirSync(r.stateRoot), ['pods'])
  t.same(await cleanStalePods(join(r.dir, 'no-such-root')), { cleaned: [], warnings: [] })
  t.notOk(existsSync(join(r.dir, 'no-such-root')))
})

t.test('a supervisor killed but not yet reaped (a zombie) is gone: its claim is removed at once', async (t) => {
  const r = roots(t)
  // sh's background subshell exits once sh has become a sleep, which never reaps it (exiting at once, sh could reap it before its exec)
  const parent = spawn('sh', ['-c', '(sleep 0.2; exit 0) & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => parent.kill('SIGKILL'))
  const zombie = Number((await once(parent.stdout, 'data'))[0])
  let stat = readProcStat(zombie)
  for (let i = 0; i < 500 && stat?.state !== 'Z'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    stat = readProcStat(zombie)
  }
  t.equal(stat?.state, 'Z', 'a zombie')
  const claim = join(r.podsDir, `.claim-${zombie}-${stat!.startTime}-${UID}`)
  mkdirSync(claim)
  const result = await cleanStalePods(r.stateRoot)
  t.notOk(existsSync(claim), 'the claim is gone')
  t.same(result.warnings, [])
})

t.test('a pods directory that cannot be read: the error says what was being looked for, and where', async (t) => {
  const r = roots(t)
  rmSync(r.podsDir, { recursive: true })
  writeFileSync(r.podsDir, 'not a directory')
  await t.rejects(cleanStalePods(r.stateRoot), { message: `look for stale pods in "${r.podsDir}"`, cause: { code: 'ENOTDIR' } })
})
