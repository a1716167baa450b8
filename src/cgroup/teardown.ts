// Killing and removing a pod cgroup tree: cgroup.kill (kernel ≥ 5.14) or,
// without it, SIGKILL to every pid listed in cgroup.procs; then wait until
// the tree is unpopulated and rmdir it bottom-up. Only ever called on the
// pod's own directory (podshim created it, every process in it is podshim's).
// cgroups(7), Documentation/admin-guide/cgroup-v2.rst ("cgroup.kill")

import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CgroupFs, errorCode, parseFlatKeyed, readIfExists, writeCgroupFile } from './cgroup-fs'

export const REMOVE_TIMEOUT_MS = 5000
const POLL_MS = 10

const isGone = (err: unknown): boolean => errorCode(err) === 'ENOENT'

/** The child cgroups of dir, deepest last; [] when dir is gone. */
const descendants = (cgfs: CgroupFs, dir: string): string[] => {
  let names: string[]
  try {
    names = cgfs.listDirs(dir)
  } catch (err) {
    if (isGone(err)) return []
    throw err
  }
  return names.flatMap((n) => [join(dir, n), ...descendants(cgfs, join(dir, n))])
}

const pidsOf = (cgfs: CgroupFs, dir: string): number[] =>
  (readIfExists(cgfs, join(dir, 'cgroup.procs')) ?? '')
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number)

/** Kill every process in the tree at dir; a missing tree is a no-op. */
export const killTree = (cgfs: CgroupFs, dir: string): void => {
  try {
    writeCgroupFile(cgfs, join(dir, 'cgroup.kill'), '1')
    return
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
  }
  // no cgroup.kill (kernel < 5.14), or no tree at all
  signalTree(cgfs, dir)
}

/**
 * SIGKILL each process listed in the tree at dir. For a cgroup that will be
 * used again: after cgroup.kill, this kernel kills every later child cloned
 * into the cgroup with CLONE_INTO_CGROUP (seen on 6.18), so a restarted
 * container would die at once.
 */
export const signalTree = (cgfs: CgroupFs, dir: string): void => {
  for (const d of [dir, ...descendants(cgfs, dir)]) {
    for (const pid of pidsOf(cgfs, d)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch (err) {
        if (errorCode(err) !== 'ESRCH') throw err
      }
    }
  }
}

/** Whether any process is left in the tree (cgroup.events "populated"). */
export const isPopulated = (cgfs: CgroupFs, dir: string): boolean => {
  const events = readIfExists(cgfs, join(dir, 'cgroup.events'))
  if (events !== undefined) return parseFlatKeyed(events).get('populated') === 1
  return [dir, ...descendants(cgfs, dir)].some((d) => pidsOf(cgfs, d).length > 0)
}

/**
 * rmdir dir and every cgroup below it, bottom-up; a missing dir is fine.
 * When a cgroup is busy (EBUSY: a process entered it after the tree was
 * seen empty) it stops there, the tree partly removed, and returns that
 * error, naming the cgroup; any other failure throws.
 */
export const removeTree = (cgfs: CgroupFs, dir: string): Error | undefined => {
  for (const d of [dir, ...descendants(cgfs, dir)].reverse()) {
    try {
      cgfs.rmdir(d)
    } catch (err) {
      if (isGone(err)) continue
      const failure = new Error(`remove cgroup ${d}: ${(err as Error).message}`, { cause: err })
      if (errorCode(err) === 'EBUSY') return failure
      throw failure
    }
  }
  return undefined
}

/** Remove a level of the parent (e.g. `podshim/`) when empty; another pod's cgroup keeps it. Returns whether it is gone. */
export const removeParentIfEmpty = (cgfs: CgroupFs, dir: string): boolean => {
  try {
    cgfs.rmdir(dir)
    return true
  } catch (err) {
    const code = errorCode(err)
    if (code === 'ENOENT') return true
    if (code === 'ENOTEMPTY' || code === 'EBUSY' || code === 'EEXIST') return false
    throw new Error(`remove cgroup ${dir}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Kill the tree, wait (bounded) until it is unpopulated, then rmdir it
 * bottom-up. The kill is repeated on each poll: the SIGKILL fallback can
 * race with forks, and cgroup.kill is idempotent. An rmdir that meets
 * EBUSY starts over (kill, wait, rmdir) until the deadline, as runc
 * retries it: a process can be cloned into a leaf after the check.
 */
export const killAndRemoveTree = async (cgfs: CgroupFs, dir: string, timeoutMs = REMOVE_TIMEOUT_MS): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    killTree(cgfs, dir)
    let busy: Error | undefined
    if (!isPopulated(cgfs, dir)) {
      busy = removeTree(cgfs, dir)
      if (busy === undefined) return
    }
    if (Date.now() >= deadline) {
      if (busy !== undefined) throw new Error(`${busy.message} (for ${timeoutMs} ms)`, { cause: busy.cause })
      throw new Error(`remove cgroup ${dir}: still populated after ${timeoutMs} ms`)
    }
    await sleep(POLL_MS)
  }
}
