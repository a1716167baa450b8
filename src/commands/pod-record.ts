// The pod's state directory and its record, pod.json: made before anything
// else of the pod exists, so that a supervisor killed at any later point
// leaves nothing the next run's stale-pod cleanup (supervisor/stale-pods.ts)
// does not find and undo. The directory appears with its whole record or
// not at all: it is made as a claim named after its supervisor, the record
// written in it, then renamed into place (rename(2) is atomic, and fails on
// a directory that is not empty: a pod of the same uid; an empty one, all a
// run killed as it removed its own leaves at the end, is replaced).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

import type { DefaultedPod } from '../spec/types'
import type { SandboxPaths } from '../supervisor/pod-sandbox'
import { ownClaim } from '../supervisor/pod-state-dir'
import { readProcStat } from '../proc-stat'
import { makeDirs } from '../make-dirs'
import { removeTree } from '../remove-tree'

/**
 * Make the pod's state directory and its record, pod.json, before anything
 * else of the pod exists: the record names what a later run must clean up
 * should this supervisor be killed. Stale pods are gone by now, so a record
 * already there is a pod that runs: its uid is refused, naming it (the
 * rename fails there, so two runs of one uid cannot both get it). Killed
 * before the rename, the run leaves a claim its name says is gone.
 */
export function claimPodState(pod: DefaultedPod, paths: SandboxPaths, cgroup: { cgroupRoot: string; cgroupParent: string; cgroupParentLevelsMade: string[] }): void {
  const { uid, name, namespace } = pod.metadata
  const record = join(paths.stateDir, 'pod.json')
  const supervisorStartTime = readProcStat(process.pid)?.startTime
  const claim = ownClaim(dirname(paths.stateDir), uid)
  try {
    makeDirs(dirname(paths.stateDir), 0o700)
    mkdirSync(claim, { mode: 0o700 })
  } catch (err) {
    throw new Error(`create pod state directory "${paths.stateDir}"`, { cause: err })
  }
  try {
    writeFileSync(join(claim, 'pod.json'), JSON.stringify({
      uid, name, namespace, supervisorPid: process.pid, supervisorStartTime, ...cgroup, ...paths,
    }) + '\n', { flag: 'wx' })
  } catch (err) {
    removeTree(claim)
    throw new Error(`write pod record "${record}"`, { cause: err })
  }
  try {
    renameSync(claim, paths.stateDir)
  } catch (err) {
    removeTree(claim)
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw uidInUse(record, uid)
    throw new Error(`create pod state directory "${paths.stateDir}"`, { cause: err })
  }
}

function uidInUse(record: string, uid: string): Error {
  const advice = 'run this manifest with another metadata.uid, or none (podshim then makes one)'
  let owner: { name?: unknown; supervisorPid?: unknown }
  try {
    owner = JSON.parse(readFileSync(record, 'utf8')) as typeof owner
  } catch {
    // a pod directory without its record, from a killed run of a podshim before claims, which the stale-pod cleanup has left for now
    return new Error(`metadata.uid "${uid}" is in use: ${dirname(record)} is there without its pod record (a killed run's, which a later run removes once nothing is mounted under it and it has not changed for 10 s): ${advice}`)
  }
  return new Error(`metadata.uid "${uid}" is in use by pod "${String(owner.name)}" (supervisor pid ${String(owner.supervisorPid)}): ${advice}`)
}
