// A pod cgroup a killed supervisor left, removed by the next run from the
// pod's record (supervisor/stale-pods.ts): the pod's tree, then the levels
// of the parent that run made, while empty.
import { join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs } from './cgroup-fs'
import { checkName, checkParent, isPodshimParent } from './cgroup-levels'
import { killAndRemoveTree, removeParentIfEmpty } from './teardown'

/**
 * Remove a pod cgroup found on disk (a crashed supervisor's): kill what
 * runs in it, wait, rmdir bottom-up, then the levels of the parent its run
 * made (madeLevels, from its record) and a podshim* last level, deepest
 * first, each only while empty. Returns whether there was anything to remove.
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
  const prefixes = parent.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))
  const made = new Set((opts.madeLevels ?? []).filter((level) => prefixes.includes(level)))
  if (isPodshimParent(parent)) made.add(parent)
  for (const level of prefixes.reverse()) {
    if (!made.has(level) || !removeParentIfEmpty(cgfs, join(root, level))) break
  }
  return isPresent
}
