// A pod cgroup a killed supervisor left, removed by the next run from the
// pod's record (supervisor/stale-pods.ts): the pod's tree, then the levels
// of the parent that are podshim's, while empty: those the record says its
// run made (it names them before making them, so also one made but not yet
// marked), those with podshim's mark (cgroup-levels.ts), a podshim* last one.
import { join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs } from './cgroup-fs'
import { checkName, checkParent, isPodshimParent, parentLevels, removeEmptyLevels } from './cgroup-levels'
import { killAndRemoveTree } from './teardown'

/**
 * Remove a pod cgroup found on disk (a crashed supervisor's): kill what
 * runs in it, wait, rmdir bottom-up, then the levels of the parent its run
 * made (madeLevels, from its record), those any podshim run made (its mark)
 * and a podshim* last level, deepest first, each only while empty. Returns
 * whether there was anything to remove.
 */
export const removeStalePodCgroup = async (
  root: string,
  parent: string,
  podUid: string,
  opts: { fs?: CgroupFs; timeoutMs?: number; madeLevels?: readonly string[] } = {},
): Promise<boolean> => {
  const cgfs = opts.fs ?? nodeCgroupFs
  checkParent(parent)
  checkName('pod uid', podUid)
  const podDir = join(root, parent, podUid)
  let isPresent = true
  try {
    cgfs.listDirs(podDir)
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
    isPresent = false
  }
  if (isPresent) await killAndRemoveTree(cgfs, podDir, opts.timeoutMs)
  const made = new Set((opts.madeLevels ?? []).map((level) => join(root, level)))
  if (isPodshimParent(parent)) made.add(join(root, parent))
  removeEmptyLevels(cgfs, parentLevels(root, parent), (dir) => made.has(dir))
  return isPresent
}
