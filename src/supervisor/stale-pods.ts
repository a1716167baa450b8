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
import { readProcStat } from '../proc-stat'


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

function isSupervisorAlive(record: PodRecord): boolean {
  const startTime = readProcStat(record.supervisorPid)?.startTime
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
