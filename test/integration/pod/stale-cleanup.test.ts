// What SIGKILLed runs leave, as later runs find it: runs started together
// clean a stale pod up once and quietly; a pod directory without its record
// is removed, or, with a mount under it, named in a warning that says what
// to do; a run killed at any point of its start leaves nothing a later run
// does not remove. (supervisor-kill.test.ts: what a killed pod leaves.)

import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive, pidsInCgroupTree, podEnv, podManifest, readMounts, shContainer, waitMs } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces, cgroups and mounts')
  process.exit(0)
}

const UID = '0a1b2c3d-0000-4000-8000-0000000c1ea0'
const LONG_AGO = new Date(Date.now() - 3600_000)

t.test('runs started together after a SIGKILLed one: one of them cleans it up, and no run warns', async (t) => {
  const env = podEnv(t)
  for (let round = 1; round <= 3; round++) {
    // a tmpfs under its data dir, and its /dev/shm under its state dir: mounts to unmount
    const pod = env.start(podManifest(`doomed-${round}`, [
      shContainer('a', 'echo ready; exec sleep 1000', { volumeMounts: [{ name: 'mem', mountPath: '/mem' }] }),
    ], { volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }] }))
    await pod.waitFor(/a +\| ready/)
    const [uid] = readdirSync(join(env.stateRoot, 'pods'))
    const pids = pidsInCgroupTree(join(env.cgroupDir, uid))
    for (const pid of pids) env.track(pid)
    pod.child.kill('SIGKILL')
    await pod.result
    const deadline = Date.now() + waitMs(2000)
    while (pids.some(isAlive) && Date.now() < deadline) await sleep(20)

    const runs = await Promise.all([1, 2, 3, 4].map((i) => env.run(podManifest(`next-${i}`, [shContainer('c', 'true')]))))
    for (const r of runs) {
      t.equal(r.code, 0, `round ${round}: the run succeeds`, { stderr: r.stderr })
      t.notMatch(r.stderr, /warning/, `round ${round}: and warns of nothing`)
    }
    const cleaners = runs.filter((r) => r.stderr.includes(`cleaned up pod "doomed-${round}" (${uid})`))
    t.equal(cleaners.length, 1, `round ${round}: one run says it cleaned the pod up`)
    t.same(readdirSync(join(env.stateRoot, 'pods')), [], `round ${round}: nothing is left of it`)
  }
})

t.test('pod directories a killed run left without their records: removed once nothing can still be at work on them, and said', async (t) => {
  const env = podEnv(t)
  const podsDir = join(env.stateRoot, 'pods')
  // killed as it removed its directory at its end (pod.json gone first), and, from an older podshim, between its mkdir and its write
  const ended = join(podsDir, UID)
  mkdirSync(join(ended, 'containers', 'c'), { recursive: true })
  const emptied = join(podsDir, `${UID}1`)
  mkdirSync(emptied)
  writeFileSync(join(emptied, 'pod.json'), '')
  // and killed as it claimed its pod: pid and start time name its maker, gone
  const claim = join(podsDir, `.claim-${spawnSync('true').pid}-1-${UID}2`)
  mkdirSync(claim)
  writeFileSync(join(claim, 'pod.json'), '{"uid":')
  for (const dir of [ended, emptied]) utimesSync(dir, LONG_AGO, LONG_AGO)
  const fresh = join(podsDir, `${UID}3`)
  mkdirSync(fresh)

  const r = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.match(r.stderr, `podshim: removed ${ended}: a pod directory with no record (pod.json is missing)`)
  t.match(r.stderr, `podshim: removed ${emptied}: a pod directory with no record (pod.json is empty)`)
  t.match(r.stderr, `podshim: removed ${claim}: the claim of pod ${UID}2`)
  t.match(r.stderr, `podshim: warning: left ${fresh} as it is for now: a pod directory with no record (pod.json is missing), changed `)
  t.match(r.stderr, `so a podshim run may still be removing it; a run 10 s after that removes it (or rm -r ${fresh})`)
  t.same(readdirSync(podsDir), [`${UID}3`], 'all but the one that changed just now are gone')
  utimesSync(fresh, LONG_AGO, LONG_AGO)
  const later = await env.run(podManifest('later', [shContainer('c', 'true')]))
  t.equal(later.code, 0, { stderr: later.stderr })
  t.match(later.stderr, `podshim: removed ${fresh}`, 'a later run removes it')
})

t.test('a pod directory without its record, with a mount under it: left, and the warning says what to do', async (t) => {
  const env = podEnv(t)
  const dir = join(env.stateRoot, 'pods', UID)
  const shm = join(dir, 'shm')
  mkdirSync(shm, { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', shm])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', shm], { stdio: 'ignore' })
    } catch {
      // not mounted: a throw here would skip the harness's teardown
    }
    rmSync(dir, { recursive: true, force: true })
  })
  // pod.json emptied (a full disk, say): its run's cgroup and data are unknown
  writeFileSync(join(dir, 'pod.json'), '')
  utimesSync(dir, LONG_AGO, LONG_AGO)
  const r = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.match(r.stderr, `podshim: warning: left ${dir} as it is: a pod directory with no record (pod.json is empty), with ${shm} mounted under it: ` +
    `if no podshim run uses it, unmount that (umount -l) and remove it (rm -r ${dir})`)
  t.ok(readMounts().some((m) => m.mountPoint === shm), 'its mount is left as it is')
})

t.test('runs SIGKILLed at any point of their start: a later run leaves nothing of them, and warns of nothing', async (t) => {
  const env = podEnv(t)
  for (let i = 0; i < 10; i++) {
    const pod = env.start(podManifest(`killed-${i}`, [
      shContainer('a', 'exec sleep 1000', { volumeMounts: [{ name: 'mem', mountPath: '/mem' }] }),
    ], { volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }] }))
    await sleep(i * 40)
    pod.child.kill('SIGKILL')
    await pod.result
  }
  // the pods' processes die with their supervisors (PDEATHSIG, the PID namespace)
  const deadline = Date.now() + waitMs(2000)
  while (pidsInCgroupTree(env.cgroupDir).length > 0 && Date.now() < deadline) await sleep(20)
  const r = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.notMatch(r.stderr, /warning/, 'and warns of nothing')
  t.same(existsSync(join(env.stateRoot, 'pods')) ? readdirSync(join(env.stateRoot, 'pods')) : [], [], 'no pod state is left')
  // the harness's teardown checks that no cgroup, mount or process is left either
})
