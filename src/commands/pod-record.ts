// The pod's state directory and its record, pod.json: made before anything
// else of the pod exists, so that a supervisor killed at any later point
// leaves nothing the next run's stale-pod cleanup (supervisor/stale-pods.ts)
// does not find and undo.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import type { DefaultedPod } from '../spec/types'
import type { SandboxPaths } from '../supervisor/pod-sandbox'
import { readProcStat } from '../proc-stat'
import { makeDirs } from '../make-dirs'
import { removeTree } from '../remove-tree'

/**
 * Make the pod's state directory and its record, pod.json, before anything
 * else of the pod exists: the record names what a later run must clean up
 * should this supervisor be killed. Stale pods are gone by now, so a record
 * already there is a pod that runs: its uid is refused, naming it (made
 * with O_EXCL, so two runs of one uid cannot both get it).
 */
export function claimPodState(pod: DefaultedPod, paths: SandboxPaths, cgroup: { cgroupRoot: string; cgroupParent: string; cgroupParentLevelsMade: string[] }): void {
  const { uid, name, namespace } = pod.metadata
  const record = join(paths.stateDir, 'pod.json')
  try {
    makeDirs(paths.stateDir, 0o700)
  } catch (err) {
    throw new Error(`create pod state directory "${paths.stateDir}"`, { cause: err })
  }
  try {
    writeFileSync(record, JSON.stringify({
      uid, name, namespace, supervisorPid: process.pid, supervisorStartTime: readProcStat(process.pid)?.startTime, ...cgroup, ...paths,
    }) + '\n', { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw uidInUse(record, uid)
    removeTree(paths.stateDir)
    throw new Error(`write pod record "${record}"`, { cause: err })
  }
}

function uidInUse(record: string, uid: string): Error {
  let owner: { name?: unknown; supervisorPid?: unknown } = {}
  try {
    owner = JSON.parse(readFileSync(record, 'utf8')) as typeof owner
  } catch {
    // being written by the run that has it
  }
  return new Error(`metadata.uid "${uid}" is in use by pod "${String(owner.name)}" (supervisor pid ${String(owner.supervisorPid)}): ` +
    'run this manifest with another metadata.uid, or none (podshim then makes one)')
}
