// Cleans up after a supervisor that died without tearing its pod down (e.g.
// SIGKILL): its processes died with it (PR_SET_PDEATHSIG, and the kernel
// kills a PID namespace whose init is gone), but its cgroup, its tmpfs
// mounts and its state directory stay until a later podshim removes them.
// A pod counts as stale only when the pid recorded in its pod.json is no
// longer a podshim supervisor. A pod that cannot be cleaned up (or a record
// that is not one podshim wrote for its directory) is said, and left: it
// must not keep every later run from starting.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, isAbsolute, join, sep } from 'node:path'
import { removeStalePodCgroup } from '../cgroup/stale-cgroup'
import { MNT_DETACH, umount2 } from '../native/libc'
import { readMountPoints } from '../cgroup/mount'
import { removeTree } from '../remove-tree'
import { readProcStat } from '../proc-stat'
import { describeError } from './describe-error'

interface PodRecord {
  uid: string
  name: string
  supervisorPid: number
  /** its start time (/proc/PID/stat field 22), so that a reused pid is not taken for it */
  supervisorStartTime?: string
  cgroupRoot: string
  cgroupParent: string
  /** the levels of cgroupParent its run was about to make (missingParentLevels), for a cleanup to remove */
  cgroupParentLevelsMade?: string[]
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

/**
 * Whether a parsed pod.json is a record podshim wrote for the directory it
 * is in: the directories it names are removed on its word.
 */
function isPodRecord(value: unknown, podsDir: string, uid: string): value is PodRecord {
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

async function removeStalePod(record: PodRecord): Promise<void> {
  await removeStalePodCgroup(record.cgroupRoot, record.cgroupParent, record.uid, { madeLevels: record.cgroupParentLevelsMade })
  for (const dir of [record.stateDir, record.dataDir]) {
    for (const point of mountsUnder(dir)) umount2(point, MNT_DETACH)
  }
  // pod.json goes last: a cleanup that fails part way is tried again by the next run
  removeTree(record.dataDir)
  const entries = existsSync(record.stateDir) ? readdirSync(record.stateDir) : []
  for (const entry of entries) if (entry !== 'pod.json') removeTree(join(record.stateDir, entry))
  removeTree(record.stateDir)
}

export interface StaleCleanup {
  /** one line per pod cleaned up */
  cleaned: string[]
  /** one line per pod left as it was, and why */
  warnings: string[]
}

/** Remove every stale pod under stateRoot. */
export async function cleanStalePods(stateRoot: string): Promise<StaleCleanup> {
  const podsDir = join(stateRoot, 'pods')
  const result: StaleCleanup = { cleaned: [], warnings: [] }
  if (!existsSync(podsDir)) return result
  for (const uid of readdirSync(podsDir)) {
    const file = join(podsDir, uid, 'pod.json')
    let record: unknown
    try {
      record = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      continue // being created right now, or not ours
    }
    if (!isPodRecord(record, podsDir, uid)) {
      result.warnings.push(`left ${join(podsDir, uid)} as it is: ${file} is not a pod record podshim wrote there`)
      continue
    }
    if (isSupervisorAlive(record)) continue
    const pod = `pod "${record.name}" (${record.uid}) left behind by supervisor pid ${record.supervisorPid}`
    try {
      await removeStalePod(record)
      result.cleaned.push(`cleaned up ${pod}`)
    } catch (err) {
      result.warnings.push(`clean up ${pod}: ${describeError(err)}`)
    }
  }
  return result
}
