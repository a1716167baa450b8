// The supervisor itself is SIGKILLed mid-run: no pod process may survive it
// (pause's PDEATHSIG, then the kernel ends the PID namespace; with hostPID,
// pause kills the pod cgroup on its parent-death signal), and the next
// `podshim run` on the same roots removes what it left (cgroup, mounts,
// state) and says so. And pause SIGKILLed mid-run: the pod stops, and the
// supervisor unmounts the /dev/shm tmpfs a pause that shuts down on TERM
// unmounts itself.

import t from 'tap'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isAlive, pidsInCgroupTree, podEnv, podManifest, readMounts, shContainer, waitMs } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

t.test('no pod process survives a SIGKILLed supervisor; the next run cleans up', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('doomed', [
    // a main process and an orphan of its own: both must die
    shContainer('a', '(sleep 1000 &); echo "ready pid=$$"; exec sleep 1000'),
    shContainer('b', 'echo "ready pid=$$"; exec sleep 1000', { volumeMounts: [{ name: 'mem', mountPath: '/mem' }] }),
  ], { volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }] }))
  await pod.waitFor(/a +\| ready/)
  await pod.waitFor(/b +\| ready/)
  const podsDir = join(env.stateRoot, 'pods')
  const [uid] = readdirSync(podsDir)
  const pausePid = Number(readFileSync(join(podsDir, uid, 'pause.pid'), 'utf8'))
  // host pids of every pod process, from the pod's cgroup (the payload's $$ is a pod-namespace pid)
  const pids = pidsInCgroupTree(join(env.cgroupDir, uid))
  for (const pid of pids) env.track(pid)
  t.ok(pids.includes(pausePid), `pause (${pausePid}) is in the pod cgroup`)
  t.ok(pids.length >= 4, `pause, two main processes and an orphan run (${pids.join(' ')})`)

  pod.child.kill('SIGKILL')
  const r = await pod.result
  t.equal(r.signal, 'SIGKILL', 'the supervisor died of SIGKILL')
  const deadline = Date.now() + waitMs(2000)
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20)
  t.same(pids.filter(isAlive), [], 'no pod process survives it')
  t.ok(existsSync(join(podsDir, uid, 'pod.json')), 'its state is left behind')

  const next = await env.run(podManifest('next', [shContainer('c', 'echo next pod ran')]))
  t.equal(next.code, 0, 'a later podshim run succeeds', { stderr: next.stderr })
  t.match(next.stderr, new RegExp(`cleaned up pod "doomed" \\(${uid}\\)`), 'it says it cleaned up the stale pod')
  t.notOk(existsSync(join(podsDir, uid)), 'the stale state is gone')
  t.notOk(existsSync(join(env.cgroupDir, uid)), 'the stale pod cgroup is gone')
  // the teardown check proves no mount under the roots and no cgroup parent is left
})

t.test('a SIGKILLed supervisor under a nested --cgroup-parent: the next run removes the levels it made', async (t) => {
  const env = podEnv(t)
  const nested = `${env.cgroupParent}/made/deeper`
  const pod = env.start(podManifest('nested', [shContainer('a', 'echo ready; exec sleep 1000')]), { args: ['--cgroup-parent', nested] })
  await pod.waitFor(/a +\| ready/)
  const [uid] = readdirSync(join(env.stateRoot, 'pods'))
  t.same(JSON.parse(readFileSync(join(env.stateRoot, 'pods', uid, 'pod.json'), 'utf8')).cgroupParentLevelsMade,
    [env.cgroupParent, `${env.cgroupParent}/made`, nested], 'the record names the levels the run makes')
  pod.child.kill('SIGKILL')
  await pod.result
  const next = await env.run(podManifest('next', [shContainer('c', 'true')]), { args: ['--cgroup-parent', nested] })
  t.equal(next.code, 0, 'the next run succeeds', { stderr: next.stderr })
  t.match(next.stderr, /cleaned up pod "nested"/)
  t.notOk(existsSync(env.cgroupDir), 'every level is gone, the top one too')
})

t.test('a container in a PID namespace of its own, running as another user, dies with a SIGKILLed supervisor', async (t) => {
  // its PDEATHSIG is what kills it: pause's death does not reach another PID
  // namespace, and a change of uid clears a parent-death signal set before it
  const env = podEnv(t)
  const pod = env.start(podManifest('other-user', [
    shContainer('a', 'echo "ready uid=$(id -u)"; exec sleep 1000', { securityContext: { runAsUser: 65534, runAsGroup: 65534 } }),
  ], { shareProcessNamespace: false }))
  await pod.waitFor(/a +\| ready uid=65534/)
  const [uid] = readdirSync(join(env.stateRoot, 'pods'))
  const pids = pidsInCgroupTree(join(env.cgroupDir, uid, 'a'))
  for (const pid of pids) env.track(pid)
  t.equal(pids.length, 1, `the container's one process runs (${pids.join(' ')})`)

  pod.child.kill('SIGKILL')
  await pod.result
  const deadline = Date.now() + waitMs(2000)
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20)
  t.same(pids.filter(isAlive), [], 'the container does not survive the supervisor')
  const next = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(next.code, 0, 'a later run cleans up after it', { stderr: next.stderr })
})

t.test('hostPID: what a container started dies with a SIGKILLed supervisor too (pause kills the pod cgroup)', async (t) => {
  // no PID namespace ends with pause there: the main processes die of their PDEATHSIG, their orphans
  // of pause's, which writes the pod cgroup's cgroup.kill when its own parent-death signal comes
  const env = podEnv(t)
  const pod = env.start(podManifest('host-pids', [
    shContainer('a', '(sleep 1000 &); echo "ready"; exec sleep 1000'),
  ], { hostPID: true, restartPolicy: 'Never' }))
  await pod.waitFor(/a +\| ready/)
  const [uid] = readdirSync(join(env.stateRoot, 'pods'))
  const pids = pidsInCgroupTree(join(env.cgroupDir, uid))
  for (const pid of pids) env.track(pid)
  t.equal(pids.length, 3, `pause, the main process and its orphan run (${pids.join(' ')})`)

  pod.child.kill('SIGKILL')
  t.equal((await pod.result).signal, 'SIGKILL', 'the supervisor died of SIGKILL')
  const deadline = Date.now() + waitMs(2000)
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20)
  t.same(pids.filter(isAlive), [], 'no pod process survives it, the orphan included')
  const next = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(next.code, 0, 'a later run cleans up the rest', { stderr: next.stderr })
})

t.test('pause SIGKILLed: the pod stops, and the supervisor unmounts its /dev/shm', async (t) => {
  const env = podEnv(t)
  // restartPolicy Always: the containers the kernel kills with pause must not be restarted into its dead namespace
  const pod = env.start(podManifest('pause-dies', [shContainer('a', 'echo ready; exec sleep 1000'), shContainer('b', 'exec sleep 1000')], { terminationGracePeriodSeconds: 1, restartPolicy: 'Always' }))
  await pod.waitFor(/a +\| ready/)
  const podsDir = join(env.stateRoot, 'pods')
  const [uid] = readdirSync(podsDir)
  const shm = join(podsDir, uid, 'shm')
  t.ok(readMounts().some((m) => m.mountPoint === shm && m.fsType === 'tmpfs'), 'the pod\'s /dev/shm tmpfs is mounted')
  process.kill(Number(readFileSync(join(podsDir, uid, 'pause.pid'), 'utf8')), 'SIGKILL')
  const r = await pod.result
  // the kernel ends the PID namespace with pause: its container dies of SIGKILL too
  t.equal(r.code, 137, 'the pod failed')
  t.match(r.stderr, /pod "pause-dies" Failed/)
  t.notMatch(r.stderr, /StartError|clone3|BackOff/, 'no restart was tried')
  t.match(r.stderr, /^a +app +Terminated +Error +137 +0$/m, 'a keeps its real end')
  t.match(r.stderr, /^b +app +Terminated +Error +137 +0$/m, 'so does b')
  t.notOk(readMounts().some((m) => m.mountPoint === shm), 'its /dev/shm is unmounted')
  t.notOk(existsSync(join(podsDir, uid)), 'its state is gone')
})

t.test('a pod whose supervisor pid now belongs to another process is stale all the same', async (t) => {
  const env = podEnv(t)
  // this test's own node process: alive, a node, but not the supervisor that started at "1"
  const uid = '0a1b2c3d-0000-4000-8000-000000000001'
  const stateDir = join(env.stateRoot, 'pods', uid)
  mkdirSync(stateDir, { recursive: true })
  writeFileSync(join(stateDir, 'pod.json'), JSON.stringify({
    uid, name: 'reused', namespace: 'default', supervisorPid: process.pid, supervisorStartTime: '1',
    cgroupRoot: dirname(env.cgroupDir), cgroupParent: env.cgroupParent, stateDir, dataDir: join(env.dataRoot, 'pods', uid),
  }))
  const r = await env.run(podManifest('next', [shContainer('c', 'true')]))
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.match(r.stderr, new RegExp(`cleaned up pod "reused" \\(${uid}\\) left behind by supervisor pid ${process.pid}`))
  t.notOk(existsSync(stateDir), 'its state is gone')
})
