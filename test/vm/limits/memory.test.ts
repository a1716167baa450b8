// limits.memory on a real kernel: memory.max on the container's leaf and
// (Burstable, every container limited) the sum on the pod cgroup; a
// container that allocates past its limit is OOM-killed by the kernel, its
// status says OOMKilled with exit code 137 (podshim reads oom_kill from the
// leaf's memory.events, which the test watches go up from outside),
// and teardown leaves no cgroup behind. requests.memory sets nothing: kubelet
// uses it for memory.min/memory.high only with MemoryQoS, off by default.
// Every container leaf gets memory.oom.group 1 and memory.swap.max 0, as
// kubelet has the runtime write them on cgroup v2.

import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { podEnv, podManifest, shContainer } from '../../integration/pod/fixtures/helpers'
import { MI, RUN_TIMEOUT_MS, WAIT_MS, newUid, podCgroupDir, printed, readCg, readKeyed, terminated, linearWeight, runtimeWeight } from './fixtures'

t.test('a container past limits.memory is OOM-killed: OOMKilled, 137, oom_kill 1, no cgroup left', async (t) => {
  const env = podEnv(t)
  const uid = newUid()
  // busybox dd allocates its 64 MiB buffer and read(2) from /dev/zero fills
  // every page of it: the leaf's 32 MiB cannot hold it and there is no swap.
  const hog = shContainer('hog', 'read cg < /proc/self/cgroup; echo "cgroup=$cg"; sleep 2; exec dd if=/dev/zero of=/dev/null bs=64M count=1', {
    resources: { requests: { memory: '16Mi' }, limits: { memory: '32Mi' } },
  })
  const keeper = shContainer('keeper', 'sleep 5', { resources: { limits: { memory: '16Mi' } } })
  const manifest = podManifest('oom', [hog, keeper])
  ;(manifest.metadata as Record<string, unknown>).uid = uid
  const pod = env.start(manifest, { args: ['-o', 'json'], timeoutMs: RUN_TIMEOUT_MS })

  const { dir, record } = await podCgroupDir(env, uid)
  t.equal(dir, join(env.cgroupDir, uid), `pod.json names the pod cgroup ${record.cgroupParent}/${uid}`)
  const hogDir = join(dir, 'hog')
  // the pod: Burstable (requests != limits), a memory limit on every
  // container → memory.max is their sum; no cpu request → weight of 2 shares
  t.equal(readCg(dir, 'memory.max'), String(48 * MI), 'pod memory.max = 32Mi + 16Mi')
  t.equal(readCg(dir, 'cpu.max'), 'max 100000', 'pod cpu.max: no cpu limit anywhere')
  t.equal(readCg(dir, 'cpu.weight'), String(linearWeight(2)), 'pod cpu.weight from 2 shares')
  t.equal(readCg(dir, 'pids.max'), 'max', 'pod pids.max: no --pids-limit')
  t.equal(readCg(hogDir, 'memory.max'), String(32 * MI), 'hog memory.max = limits.memory')
  t.equal(readCg(join(dir, 'keeper'), 'memory.max'), String(16 * MI), 'keeper memory.max = limits.memory')
  t.equal(readCg(hogDir, 'cpu.weight'), String(runtimeWeight(2)), 'hog cpu.weight: no cpu request')
  // MemoryQoS is off by default in kubelet: requests.memory is not written
  t.equal(readCg(hogDir, 'memory.min'), '0', 'hog memory.min not set (MemoryQoS off)')
  t.equal(readCg(hogDir, 'memory.high'), 'max', 'hog memory.high not set (MemoryQoS off)')
  t.equal(readCg(dir, 'memory.min'), '0', 'pod memory.min not set (MemoryQoS off)')
  // kubelet on cgroup v2: the whole container goes on an OOM kill, and no swap (swapBehavior NoSwap)
  for (const leaf of ['hog', 'keeper']) {
    t.equal(readCg(join(dir, leaf), 'memory.oom.group'), '1', `${leaf} memory.oom.group 1`)
    t.equal(readCg(join(dir, leaf), 'memory.swap.max'), '0', `${leaf} memory.swap.max 0`)
  }

  // inside: the container is in its leaf (host cgroup namespace: full path)
  const line = await pod.waitFor(/hog +\| cgroup=(.*)/, WAIT_MS)
  t.equal(line[1], `0::/${record.cgroupParent}/${uid}/hog`, 'inside: /proc/self/cgroup is the hog leaf')
  const before = readKeyed(hogDir, 'memory.events')
  t.equal(before.oom_kill, 0, 'outside: oom_kill 0 before the allocation')
  let after = before
  const deadline = Date.now() + WAIT_MS
  // the kernel counts oom_kill, then oom_group_kill as the group kill goes on: wait for both
  while ((after.oom_kill === 0 || after.oom_group_kill === 0) && Date.now() < deadline && existsSync(hogDir)) {
    await sleep(50)
    try {
      after = readKeyed(hogDir, 'memory.events')
    } catch {
      break // the leaf went away: the assertion below says so
    }
  }
  t.ok(after.oom_kill >= 1, 'outside: oom_kill went up in the hog leaf', { after })
  t.equal(after.oom_group_kill, 1, 'outside: memory.oom.group made it one kill of the whole leaf', { after })
  t.ok(after.max > 0, 'outside: the leaf hit memory.max', { after })
  t.equal(readKeyed(join(dir, 'keeper'), 'memory.events').oom_kill, 0, 'outside: keeper was not OOM-killed')

  const r = await pod.result
  t.not(r.status, undefined, 'podshim printed a PodStatus', { stdout: r.stdout, stderr: r.stderr })
  t.match(terminated(r.status, 'hog'), { reason: 'OOMKilled', exitCode: 137 }, 'hog: OOMKilled, exit code 137', { status: r.status })
  t.match(terminated(r.status, 'keeper'), { reason: 'Completed', exitCode: 0 }, 'keeper completed')
  t.equal(r.status?.qosClass, 'Burstable', 'qosClass Burstable')
  t.notMatch(r.stderr, /limits not enforced|warning/i, 'nothing is warned on a pure v2 host', { stderr: r.stderr })
  t.notOk(existsSync(dir), 'the pod cgroup is gone after an OOM kill')
  t.notOk(existsSync(env.cgroupDir), 'and so is the (podshim-named) parent')
  t.equal(printed(r.stdout + r.stderr, 'hog').get('cgroup'), line[1], 'the container log kept what the payload printed')
})
