// Cleans up after a supervisor that died without tearing its pod down (e.g.
// SIGKILL): its processes died with it (PR_SET_PDEATHSIG, and the kernel
// kills a PID namespace whose init is gone), but its cgroup, its tmpfs
// mounts and its state directory stay until a later podshim removes them.
// A pod counts as stale only when the pid recorded in its pod.json is no
// longer a podshim supervisor.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import { removeStalePodCgroup } from '../cgroup/pod-cgroup'
import { MNT_DETACH, umount2 } from '../native/libc'
import { readMountPoints } from '../cgroup/mount'
import { removeTree } from '../remove-tree'


interface PodRecord {
  uid: string
  name: string
  supervisorPid: number
  /** its start time (/proc/PID/stat field 22), so that a reused pid is not taken for it */
  supervisorStartTime?: string
  cgroupRoot: string
  cgroupParent: string
  dataDir: string
  stateDir: string
}

/** When a process started, in clock ticks since boot (/proc/PID/stat field 22); undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after "(comm)" start at field 3, the state
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]
  } catch {
    return undefined
  }
}

function isSupervisorAlive(record: PodRecord): boolean {
  const startTime = processStartTime(record.supervisorPid)
  if (startTime === undefined) return false
  // the same pid may have been reused: it must be the process that started then
  if (record.supervisorStartTime !== undefined) return startTime === record.supervisorStartTime
  // a record from before start times were kept: it must still be a node process
  try {
    return readFileSync(`/proc/${record.supervisorPid}/cmdline`, 'utf8').includes('node')
  } catch {
    return false
  }
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  return readMountPoints().filter((p) => p === dir || p.startsWith(dir + sep)).sort((a, b) => b.length - a.length)
}

/** Remove every stale pod under stateRoot; returns one line per pod cleaned. */
export async function cleanStalePods(stateRoot: string): Promise<string[]> {
  const podsDir = join(stateRoot, 'pods')
  if (!existsSync(podsDir)) return []
  const notes: string[] = []
  for (const uid of readdirSync(podsDir)) {
    let record: PodRecord
    try {
      record = JSON.parse(readFileSync(join(podsDir, uid, 'pod.json'), 'utf8')) as PodRecord
    } catch {
      continue // being created right now, or not ours
    }
    if (isSupervisorAlive(record)) continue
    await removeStalePodCgroup(record.cgroupRoot, record.cgroupParent, record.uid)
    for (const dir of [record.stateDir, record.dataDir]) {
      for (const point of mountsUnder(dir)) umount2(point, MNT_DETACH)
      removeTree(dir)
    }
    notes.push(`cleaned up pod "${record.name}" (${record.uid}) left behind by supervisor pid ${record.supervisorPid}`)
  }
  return notes
}
