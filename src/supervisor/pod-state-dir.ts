// A pod's state directory appears and goes in one step each, as a claim:
// a directory beside the pods' named after its supervisor (pid and start
// time, so a reused pid is not taken for it) and the pod's uid. The run
// writes the pod's record in its claim and renames it to `<uid>`
// (claimPodState); at its end it renames `<uid>` back to a claim and
// removes that. So no run sees a pod's directory without its whole record,
// and one killed with a claim leaves a name that says whose it was
// (stale-pods.ts removes it once that supervisor is gone). rename(2)
import { renameSync } from 'node:fs'
import { dirname, join } from 'node:path'

import { readProcStat } from '../proc-stat'
import { removeTree } from '../remove-tree'

const CLAIM_PREFIX = '.claim-'
const CLAIM_NAME = /^\.claim-(\d+)-(\d+|unknown)-(.+)$/

/** The name of a pod directory being made or removed: its maker (pid, start time), then the pod's uid. */
export function claimName(uid: string, pid: number, startTime: string | undefined): string {
  return `${CLAIM_PREFIX}${pid}-${startTime ?? 'unknown'}-${uid}`
}

/** The maker and uid a claim's name gives, or null for a name that is not a claim's. */
export function parseClaimName(name: string): { supervisorPid: number; supervisorStartTime: string | undefined; uid: string } | null {
  const m = CLAIM_NAME.exec(name)
  if (m === null) return null
  return { supervisorPid: Number(m[1]), supervisorStartTime: m[2] === 'unknown' ? undefined : m[2], uid: m[3] }
}

/** This supervisor's claim for a pod of uid, beside the pods' directories under podsDir. */
export function ownClaim(podsDir: string, uid: string): string {
  return join(podsDir, claimName(uid, process.pid, readProcStat(process.pid)?.startTime))
}

/** Remove a pod's state directory as a claim of this supervisor's; one already gone is no error. */
export function removePodStateDir(stateDir: string, uid: string): void {
  const claim = ownClaim(dirname(stateDir), uid)
  try {
    renameSync(stateDir, claim)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  removeTree(claim)
}
