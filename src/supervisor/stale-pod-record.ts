// A stale pod's record (pod.json) and its removal: what a record must hold
// for its directories to be removed on its word, whether its supervisor
// still runs, and the removal itself, pod.json last (see stale-pods.ts for
// when a pod is stale, and how cleanups keep out of each other's way).
// proc(5) (/proc/PID/stat start time), umount2(2)
import { readFileSync } from 'node:fs'
import { basename, isAbsolute, join, sep } from 'node:path'
import { removeStalePodCgroup } from '../cgroup/stale-cgroup'
import { readMountPoints } from '../cgroup/mount'
import { MNT_DETACH, umount2 } from '../native/libc'
import { readProcStat } from '../proc-stat'
import { removeTree } from '../remove-tree'
import { removePodStateDir } from './pod-state-dir'

export interface PodRecord {
  uid: string
  name: string
  supervisorPid: number
  /** its start time (/proc/PID/stat field 22), so that a reused pid is not taken for it */
  supervisorStartTime?: string
  cgroupRoot: string
  cgroupParent: string
  /** the levels of cgroupParent that were podshim's or missing as its run began (podshimParentLevels), for a cleanup to remove while empty */
  cgroupParentLevelsMade?: string[]
  dataDir: string
  stateDir: string
}

/** Whether the supervisor (or a claim's maker) still runs: its pid, with the start time it had. */
export function isSupervisorAlive(record: Pick<PodRecord, 'supervisorPid' | 'supervisorStartTime'>): boolean {
  const stat = readProcStat(record.supervisorPid)
  // a zombie (Z) or a dying process (X) is gone: its kill is done, its parent has only to reap it
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false
  const { startTime } = stat
  // the same pid may have been reused: it must be the process that started then
  if (record.supervisorStartTime !== undefined) return startTime === record.supervisorStartTime
  // a record from before start times were kept: it must still be a node process
  try {
    return readFileSync(`/proc/${record.supervisorPid}/cmdline`, 'utf8').includes('node')
  } catch {
    return false
  }
}

/**
 * Whether a parsed pod.json is a record podshim wrote for the directory it
 * is in: the directories it names are removed on its word.
 */
export function isPodRecord(value: unknown, podsDir: string, uid: string): value is PodRecord {
  const r = value as Partial<PodRecord> | null
  return typeof r === 'object' && r !== null && r.uid === uid && typeof r.name === 'string' &&
    Number.isSafeInteger(r.supervisorPid) && (r.supervisorPid as number) > 0 &&
    r.stateDir === join(podsDir, uid) &&
    typeof r.dataDir === 'string' && isAbsolute(r.dataDir) && basename(r.dataDir) === uid &&
    typeof r.cgroupRoot === 'string' && typeof r.cgroupParent === 'string' &&
    (r.cgroupParentLevelsMade === undefined || (Array.isArray(r.cgroupParentLevelsMade) && r.cgroupParentLevelsMade.every((l) => typeof l === 'string')))
}

/** Mount points at or below dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  return readMountPoints().filter((p) => p === dir || p.startsWith(dir + sep)).sort((a, b) => b.length - a.length)
}

/** Remove what the record names: its cgroup, the mounts under its directories, its data, then its state. */
export async function removeStalePod(record: PodRecord): Promise<void> {
  await removeStalePodCgroup(record.cgroupRoot, record.cgroupParent, record.uid, { madeLevels: record.cgroupParentLevelsMade })
  for (const dir of [record.stateDir, record.dataDir]) {
    for (const point of mountsUnder(dir)) umount2(point, MNT_DETACH)
  }
  removeTree(record.dataDir)
  // the record stays until everything it names is gone (a cleanup that fails part way is tried again by the next run),
  // then the directory goes as a claim of this run's, as a run's own teardown removes it
  removePodStateDir(record.stateDir, record.uid)
}
