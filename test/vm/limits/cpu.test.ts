// limits.cpu and requests.cpu on a real kernel, in a Guaranteed pod run with
// --strict-cgroups (a pure v2 host enforces everything: it must pass and warn
// about nothing):
// - cpu.max = MilliCPUToQuota over a 100000 µs period (200m → "20000 100000")
//   on the leaf, the sum of the limits on the pod cgroup;
// - cpu.weight: the runtime's formula (runc >= 1.3.2) on the leaves, kubelet's
//   linear one on the pod cgroup (src/cgroup/values.ts header);
// - a busy container is throttled to its limit: CPU time over wall time is
//   0.2 ± 0.1 measured from outside (cpu.stat usage_usec) and from inside
//   (the busy process's own utime+stime in /proc/<pid>/stat), and cpu.stat
//   counts throttled periods. The tolerance is what an emulated CPU holds.

import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { podEnv, podManifest, shContainer } from '../../integration/pod/fixtures/helpers'
import {
  MI, RUN_TIMEOUT_MS, WAIT_MS, cpuShareFromStat, linearWeight, newUid, podCgroupDir, printed, readCg, readKeyed,
  runtimeWeight, shares, terminated,
} from './fixtures'

const LIMIT = 0.2
const TOLERANCE = 0.1

t.test('Guaranteed pod, --strict-cgroups: cpu.max, cpu.weight, pod sums; a busy container is throttled to 200m', async (t) => {
  t.equal(runtimeWeight(1024), 100, 'the runtime formula maps 1024 shares to 100 (sanity)')
  const env = podEnv(t)
  const uid = newUid()
  const busy = shContainer('busy', [
    'read cg < /proc/self/cgroup; echo "cgroup=$cg"',
    '( while :; do :; done ) & pid=$!',
    'echo started',
    'sleep 5',
    'read stat < /proc/$pid/stat; read up rest < /proc/uptime',
    'kill $pid',
    'echo "stat=$stat"; echo "uptime=$up"',
  ].join('\n'), { resources: { limits: { cpu: '200m', memory: '64Mi' } } })
  const idle = shContainer('idle', 'sleep 1', { resources: { limits: { cpu: '100m', memory: '32Mi' } } })
  const manifest = podManifest('throttle', [busy, idle])
  ;(manifest.metadata as Record<string, unknown>).uid = uid
  const pod = env.start(manifest, { args: ['-o', 'json', '--strict-cgroups'], timeoutMs: RUN_TIMEOUT_MS })

  const { dir, record } = await podCgroupDir(env, uid)
  const busyDir = join(dir, 'busy')
  // pod level (ResourceConfigForPod, Guaranteed): limits summed, shares from the summed requests
  t.equal(readCg(dir, 'cpu.max'), '30000 100000', 'pod cpu.max = 200m + 100m')
  t.equal(readCg(dir, 'memory.max'), String(96 * MI), 'pod memory.max = 64Mi + 32Mi')
  t.equal(readCg(dir, 'cpu.weight'), String(linearWeight(shares(300))), `pod cpu.weight: linear formula of ${shares(300)} shares`)
  // leaves (what the runtime writes)
  t.equal(readCg(busyDir, 'cpu.max'), '20000 100000', 'busy cpu.max: 200m → 20000 100000')
  t.equal(readCg(busyDir, 'cpu.weight'), String(runtimeWeight(shares(200))), `busy cpu.weight: runtime formula of ${shares(200)} shares`)
  t.equal(readCg(busyDir, 'memory.max'), String(64 * MI), 'busy memory.max')
  t.equal(readCg(join(dir, 'idle'), 'cpu.max'), '10000 100000', 'idle cpu.max: 100m → 10000 100000')
  t.equal(readCg(join(dir, 'idle'), 'cpu.weight'), String(runtimeWeight(shares(100))), `idle cpu.weight: runtime formula of ${shares(100)} shares`)
  t.equal(readCg(join(dir, '_pause'), 'cpu.weight'), String(runtimeWeight(2)), 'pause cpu.weight: 2 shares')

  // outside: usage over wall time while the busy loop runs
  await pod.waitFor(/busy +\| started/, WAIT_MS)
  const s0 = readKeyed(busyDir, 'cpu.stat')
  const w0 = process.hrtime.bigint()
  await sleep(3000)
  const s1 = readKeyed(busyDir, 'cpu.stat')
  const wallUs = Number(process.hrtime.bigint() - w0) / 1000
  const outside = (s1.usage_usec - s0.usage_usec) / wallUs
  t.ok(Math.abs(outside - LIMIT) <= TOLERANCE, `outside: cpu.stat usage/wall ${outside.toFixed(3)} is ${LIMIT} ± ${TOLERANCE}`, { s0, s1, wallUs })
  t.ok(s1.nr_throttled - s0.nr_throttled > 0, `outside: throttled in ${s1.nr_throttled - s0.nr_throttled} of ${s1.nr_periods - s0.nr_periods} periods`)

  const r = await pod.result
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.notMatch(r.stderr, /warning|not enforced/i, 'strict on a pure v2 host: nothing is warned', { stderr: r.stderr })
  t.match(terminated(r.status, 'busy'), { reason: 'Completed', exitCode: 0 }, 'busy completed')
  t.equal(r.status?.qosClass, 'Guaranteed', 'qosClass Guaranteed')

  // inside: the busy process's own CPU time over its lifetime
  const out = printed(r.stdout + r.stderr, 'busy')
  t.equal(out.get('cgroup'), `0::/${record.cgroupParent}/${uid}/busy`, 'inside: /proc/self/cgroup is the busy leaf')
  const inside = cpuShareFromStat(out.get('stat') ?? '', Number(out.get('uptime')))
  t.ok(Math.abs(inside.share - LIMIT) <= TOLERANCE,
    `inside: ${inside.ticks} ticks of CPU in ${inside.lifetimeTicks.toFixed(0)} ticks of life = ${inside.share.toFixed(3)}, ${LIMIT} ± ${TOLERANCE}`, { out: [...out] })
  t.notOk(existsSync(dir), 'the pod cgroup is gone')
})
