// Shared by the VM limit tests (test/vm/limits/*.test.ts): kubelet's and the
// runtime's formulas written out again here (not imported from src/: the
// checker must not share the bugs of the code it checks), and readers for
// the pod's cgroup files as seen from outside the pod.
//
// The pods run through the host integration harness
// (test/integration/pod/fixtures/helpers.ts): temporary roots, a unique
// cgroup parent, and a teardown that fails the test naming any process,
// cgroup, mount or pod state left behind.
//
// Containers stay in the host's cgroup namespace but get a fresh read-only
// sysfs, and nothing mounts cgroup2 in it: /sys/fs/cgroup is an empty
// directory inside a container. So "from inside" means what the payload
// sees of itself (/proc/self/cgroup, its own CPU time in /proc/<pid>/stat,
// failing forks, being OOM-killed), and the cgroup files are read from
// outside while the pod runs, found through the state root's pod.json.

import { existsSync, readFileSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { containerLines, keyValues, type PodEnv } from '../../integration/pod/fixtures/helpers'

export const MI = 1024 * 1024
/** Everything in the guest is slow (TCG): generous timeouts, they only bound a failure. */
export const RUN_TIMEOUT_MS = 120_000
export const WAIT_MS = 90_000

/** kubelet MilliCPUToShares (helpers_linux.go): milli*1024/1000 clamped to [2, 262144]. */
export const shares = (milli: number): number => milli <= 0 ? 2 : Math.min(262144, Math.max(2, Math.floor(milli * 1024 / 1000)))

/** kubelet's pod-level cpu.weight (cgroup_manager_linux.go getCPUWeight): 1 + ((shares-2)*9999)/262142. */
export const linearWeight = (s: number): number => s >= 262144 ? 10000 : 1 + Math.floor(((s - 2) * 9999) / 262142)

/** The container-level cpu.weight of runc >= 1.3.2 / crun >= 1.23: ceil(10^((L²+125L)/612 − 7/34)), L = log2(shares). */
export const runtimeWeight = (s: number): number => {
  if (s <= 2) return 1
  if (s >= 262144) return 10000
  const l = Math.log2(s)
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34))
}

/** A uid for metadata.uid, so the test knows the pod's cgroup directory name. */
export const newUid = (): string => randomUUID()

/** One cgroup interface file, trimmed. */
export const readCg = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8').trim()

/** A flat-keyed cgroup file (cpu.stat, memory.events, pids.events) as numbers. */
export const readKeyed = (dir: string, file: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const line of readCg(dir, file).split('\n')) {
    const [k, v] = line.split(' ')
    if (k !== undefined && v !== undefined) out[k] = Number(v)
  }
  return out
}

export interface PodRecord {
  uid: string
  cgroupRoot: string
  cgroupParent: string
}

/**
 * The pod's cgroup directory, from the pod.json podshim writes into the state
 * root, once pause.pid is there too: pod.json comes before the cgroup, and
 * pause.pid after it (with every value already written). Polls.
 */
export async function podCgroupDir(env: PodEnv, uid: string, timeoutMs = WAIT_MS): Promise<{ dir: string, record: PodRecord }> {
  const file = join(env.stateRoot, 'pods', uid, 'pod.json')
  const pausePid = join(env.stateRoot, 'pods', uid, 'pause.pid')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (existsSync(file) && existsSync(pausePid)) {
      try {
        const record = JSON.parse(readFileSync(file, 'utf8')) as PodRecord
        return { dir: join(record.cgroupRoot, record.cgroupParent, record.uid), record }
      } catch {
        // being written
      }
    }
    if (Date.now() > deadline) throw new Error(`no ${file} within ${timeoutMs} ms`)
    await sleep(25)
  }
}

/** `key=value` lines one container printed. */
export const printed = (output: string, container: string): Map<string, string> => keyValues(containerLines(output, container))

/** The terminated state of a container in a -o json PodStatus. */
export const terminated = (status: any, name: string): Record<string, unknown> =>
  status?.containerStatuses?.find((c: any) => c.name === name)?.state?.terminated ?? {}

/**
 * CPU share of one process from its /proc/<pid>/stat line (as the payload
 * read it inside the pod) and /proc/uptime at that moment: (utime + stime) /
 * its lifetime, both in clock ticks (USER_HZ = 100 on x86).
 */
export function cpuShareFromStat(stat: string, uptimeSeconds: number): { ticks: number, lifetimeTicks: number, share: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is stat(5)'s field 3 (state): utime is field 14, stime 15, starttime 22
  const ticks = Number(fields[11]) + Number(fields[12])
  const lifetimeTicks = uptimeSeconds * 100 - Number(fields[19])
  return { ticks, lifetimeTicks, share: ticks / lifetimeTicks }
}
