// The pids limit and the Burstable pod-level rules on a real kernel.
//
// pids: podshim's --pids-limit is kubelet's podPidsLimit (KubeletConfiguration
// podPidsLimit, default -1 = unlimited; REFERENCE-kubelet.md §2.9): a positive
// value goes to pids.max of the pod cgroup, so it bounds every process of the
// pod together (pause, each container and what they fork). A fork bomb inside
// the pod gets EAGAIN once the pod holds 50 tasks, the pod still stops cleanly
// on SIGTERM to podshim, and nothing is left: no process, no cgroup.
//
// Burstable (ResourceConfigForPod): the pod's cpu.weight comes from the summed
// requests; cpu.max and memory.max only when every container has that limit.

import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { podEnv, podManifest, shContainer, pidsInCgroupTree } from '../../integration/pod/fixtures/helpers'
import {
  MI, RUN_TIMEOUT_MS, WAIT_MS, linearWeight, newUid, podCgroupDir, readCg, readKeyed, runtimeWeight, shares, terminated,
} from './fixtures'

const PIDS_LIMIT = 50

t.test(`--pids-limit ${PIDS_LIMIT} (kubelet podPidsLimit) stops a fork bomb; the pod still stops cleanly on SIGTERM`, async (t) => {
  const env = podEnv(t)
  const uid = newUid()
  // The bomb runs in a subshell: ash gives up on the first fork that fails
  // ("can't fork: Resource temporarily unavailable", EAGAIN). Once the pod is
  // full the main shell cannot fork either, so it counts with builtins only.
  const script = [
    'trap "echo term; exit 0" TERM',
    'sleep 300 & keeper=$!',
    '( for i in $(seq 200); do sleep 30 & done ) 2>&1',
    'n=0; for f in /proc/[0-9]*/comm; do read c < $f; [ "$c" = sleep ] && n=$((n + 1)); done',
    'echo "sleeps=$n"',
    'wait $keeper',
  ].join('\n')
  const manifest = podManifest('bomb', [shContainer('bomb', script)], { terminationGracePeriodSeconds: 5 })
  ;(manifest.metadata as Record<string, unknown>).uid = uid
  const pod = env.start(manifest, { args: ['-o', 'json', '--pids-limit', String(PIDS_LIMIT)], timeoutMs: RUN_TIMEOUT_MS })

  const { dir } = await podCgroupDir(env, uid)
  t.equal(readCg(dir, 'pids.max'), String(PIDS_LIMIT), `pod pids.max = ${PIDS_LIMIT}`)
  const leafPids = join(dir, 'bomb', 'pids.max')
  t.ok(!existsSync(leafPids) || readCg(join(dir, 'bomb'), 'pids.max') === 'max', 'the leaf has no pids limit of its own: the pod cgroup bounds the pod')

  const m = await pod.waitFor(/bomb +\| sleeps=(\d+)/, WAIT_MS)
  const sleeps = Number(m[1])
  t.ok(sleeps < PIDS_LIMIT, `inside: only ${sleeps} of 200 background sleeps started`)
  t.ok(sleeps >= PIDS_LIMIT - 20, `inside: the bomb filled the pod (${sleeps} sleeps)`)
  t.match(pod.output(), /bomb +\| .*can't fork: Resource temporarily unavailable/, 'inside: fork failed with EAGAIN')
  const events = readKeyed(dir, 'pids.events')
  t.ok(events.max > 0, `outside: pids.events max ${events.max} (forks refused at the pod cgroup)`)
  const current = Number(readCg(dir, 'pids.current'))
  t.ok(current <= PIDS_LIMIT && current >= PIDS_LIMIT - 5, `outside: pids.current ${current}, at most ${PIDS_LIMIT}`)
  for (const pid of pidsInCgroupTree(dir)) env.track(pid)

  const sent = Date.now()
  process.kill(pod.pid, 'SIGTERM')
  const r = await pod.result
  t.equal(r.code, 0, `podshim exits 0 after SIGTERM (${Date.now() - sent} ms)`, { stderr: r.stderr })
  t.match(terminated(r.status, 'bomb'), { exitCode: 0 }, 'the container ran its TERM trap', { status: r.status })
  t.notMatch(r.stderr, /limits not enforced|warning/i, 'nothing is warned', { stderr: r.stderr })
  t.notOk(existsSync(dir), 'the pod cgroup is gone')
  t.notOk(existsSync(env.cgroupDir), 'and so is the parent')
  // the harness's teardown checks that none of the tracked pids lives on
})

t.test('Burstable pod: weight from summed requests, no pod cpu.max/memory.max unless every container has the limit', async (t) => {
  const env = podEnv(t)
  const uid = newUid()
  const a = shContainer('a', 'sleep 2', { resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } })
  const b = shContainer('b', 'sleep 2', { resources: { requests: { cpu: '100m', memory: '32Mi' } } })
  const manifest = podManifest('burstable', [a, b])
  ;(manifest.metadata as Record<string, unknown>).uid = uid
  const pod = env.start(manifest, { args: ['-o', 'json', '--strict-cgroups'], timeoutMs: RUN_TIMEOUT_MS })
  const { dir } = await podCgroupDir(env, uid)
  t.equal(readCg(dir, 'cpu.weight'), String(linearWeight(shares(350))), `pod cpu.weight: linear formula of ${shares(350)} shares (250m + 100m)`)
  t.equal(readCg(dir, 'cpu.max'), 'max 100000', 'pod cpu.max: b has no cpu limit')
  t.equal(readCg(dir, 'memory.max'), 'max', 'pod memory.max: b has no memory limit')
  t.equal(readCg(dir, 'memory.min'), '0', 'pod memory.min: requests.memory unused (MemoryQoS off)')
  t.equal(readCg(join(dir, 'a'), 'cpu.max'), '50000 100000', 'a cpu.max: 500m')
  t.equal(readCg(join(dir, 'a'), 'memory.max'), String(64 * MI), 'a memory.max: 64Mi')
  t.equal(readCg(join(dir, 'a'), 'cpu.weight'), String(runtimeWeight(shares(250))), `a cpu.weight: runtime formula of ${shares(250)} shares`)
  t.equal(readCg(join(dir, 'b'), 'cpu.weight'), String(runtimeWeight(shares(100))), `b cpu.weight: runtime formula of ${shares(100)} shares`)
  t.equal(readCg(join(dir, 'b'), 'cpu.max'), 'max 100000', 'b cpu.max: no limit')
  t.equal(readCg(join(dir, 'b'), 'memory.max'), 'max', 'b memory.max: no limit')
  t.equal(readCg(join(dir, 'b'), 'memory.min'), '0', 'b memory.min: requests.memory unused (MemoryQoS off)')
  const r = await pod.result
  t.equal(r.code, 0, 'the pod completes', { stderr: r.stderr })
  t.equal(r.status?.qosClass, 'Burstable', 'qosClass Burstable')
  t.notMatch(r.stderr, /warning|not enforced/i, 'strict on a pure v2 host: nothing is warned', { stderr: r.stderr })
  t.notOk(existsSync(dir), 'the pod cgroup is gone')
})
