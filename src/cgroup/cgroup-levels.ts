// The directories above and of a pod's cgroup: the levels of the parent
// (nested or not) and the pod directory, made with the controllers podshim
// enables in them, and the plain-name checks every cgroup name passes.
// podshim writes only to the levels it makes (see pod-cgroup.ts).
//
// Many pods share the levels of a parent, each run ending on its own: a
// level is podshim's, whichever run made it, so the last pod out removes it.
// Each level made is marked with the extended attribute LEVEL_MARK right
// after its mkdir, and every run takes a marked level for its own (to enable
// controllers in, and to remove when empty), as it does the levels it made
// and a podshim* last level (owned by its name, never marked). Runs look at
// and make the levels under an flock of the cgroup2 root, so that none sees
// a level between another's mkdir and mark and takes it for a gate. trusted.*: only CAP_SYS_ADMIN sets one, so no
// one else's cgroup can be made to look like podshim's (cgroupfs keeps them,
// as it does systemd's trusted.invocation_id). Where the mark is refused
// (EPERM in a user namespace), the run that made a level is its only owner,
// and its record names it for a cleanup after a crash (stale-cgroup.ts).
// Levels are removed bottom-up and only when empty (rmdir fails on a cgroup
// with a child), so a run making its pod cgroup can find one gone between
// two of its mkdirs: it then makes the path again.
// xattr(7), Documentation/admin-guide/cgroup-v2.rst
import { basename, join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs, readIfExists, writeCgroupFile } from './cgroup-fs'
import { readControllers } from './delegation'
import { removeParentIfEmpty } from './teardown'

/** podshim's mark on the levels of a parent it makes */
export const LEVEL_MARK = 'trusted.podshim.level'

/**
 * attempts at making the pod directory while other pods' teardowns remove
 * the shared levels: each retry needs another teardown between two mkdirs,
 * so this bounds only a path that can never be made (ENOENT for good)
 */
const MAKE_POD_DIR_ATTEMPTS = 100

export const checkName = (what: string, name: string): void => {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.startsWith('cgroup.')) {
    throw new Error(`check cgroup ${what}: "${name}" is not a plain directory name`)
  }
}

export const checkParent = (parent: string): void => {
  for (const part of parent.split('/')) checkName('parent', part)
}

/** A parent named podshim* is podshim's namespace in the hierarchy: nothing else makes it. */
export const isPodshimParent = (parent: string): boolean => basename(parent).startsWith('podshim')

/** Mark a level podshim made; without the mark (EPERM, EOPNOTSUPP) only its maker takes it for its own. */
const markLevel = (cgfs: CgroupFs, dir: string): void => {
  try {
    cgfs.setXattr(dir, LEVEL_MARK, 'made')
  } catch {
    // unmarked, the level is its maker's alone; one gone already is made again on the next mkdir's ENOENT
  }
}

/** Whether a podshim run made the level (its mark), or it is gone (ENOENT); a mark that cannot be read (EOPNOTSUPP) is none. */
const levelMark = (cgfs: CgroupFs, dir: string): 'marked' | 'unmarked' | 'gone' => {
  try {
    return cgfs.hasXattr(dir, LEVEL_MARK) ? 'marked' : 'unmarked'
  } catch (err) {
    return errorCode(err) === 'ENOENT' ? 'gone' : 'unmarked'
  }
}

/**
 * The index of the first of podshim's levels: the missing ones, and above
 * them, as far up as they reach unbroken, those with podshim's mark or a
 * podshim* last level (levels.length: none). The level above is the gate,
 * someone else's, which podshim never writes or removes. A level removed
 * as it is looked at is a missing one: a podshim run removed it.
 */
export const firstPodshimLevel = (cgfs: CgroupFs, levels: readonly string[], parent: string): number => {
  let first = levels.findIndex((dir) => readIfExists(cgfs, join(dir, 'cgroup.controllers')) === undefined)
  if (first < 0) first = isPodshimParent(parent) ? levels.length - 1 : levels.length
  while (first > 0 && levelMark(cgfs, levels[first - 1]) !== 'unmarked') first--
  return first
}

/**
 * Remove the levels of the parent bottom-up while each is podshim's (isOwn,
 * or its mark) and empty: a level another pod still uses keeps itself and
 * every level above it, for that pod's run to remove as it ends.
 */
export const removeEmptyLevels = (cgfs: CgroupFs, levels: readonly string[], isOwn: (dir: string) => boolean): void => {
  for (const dir of [...levels].reverse()) {
    const mark = isOwn(dir) ? 'marked' : levelMark(cgfs, dir)
    // one gone already (a run killed between two of its rmdirs, or one never made) hides nothing above it
    if (mark === 'gone') continue
    if (mark === 'unmarked' || !removeParentIfEmpty(cgfs, dir)) break
  }
}

/**
 * The levels of the parent a pod's record names for a cleanup after a
 * crash (relative to the root): podshim's from firstPodshimLevel down, those
 * missing included, so that one its run makes but is killed before marking
 * is among them, and so are levels another run made.
 */
export const podshimParentLevels = (root: string, parent: string, cgfs: CgroupFs = nodeCgroupFs): string[] => {
  checkParent(parent)
  const parts = parent.split('/')
  const first = firstPodshimLevel(cgfs, parentLevels(root, parent), parent)
  return parts.slice(first).map((_, i) => parts.slice(0, first + i + 1).join('/'))
}

/** how long a run waits for another's making of the levels (a few mkdirs and writes) before it gives up */
const LEVEL_LOCK_WAIT_MS = 10_000

/**
 * Run fn holding an flock on the cgroup2 root (a lock on its inode: nothing
 * is written), so that no other podshim run looks at the levels between one
 * run's mkdir of a level and its mark: seen unmarked then, the level would
 * be taken for someone else's gate, whose subtree_control is empty.
 */
export const withLevelsLocked = <T>(cgfs: CgroupFs, root: string, fn: () => T): T => {
  const release = cgfs.lockDir(root, LEVEL_LOCK_WAIT_MS)
  try {
    return fn()
  } finally {
    release()
  }
}

/** The directory of each level of the parent, top first: `a/b` → `<root>/a`, `<root>/a/b`. */
export const parentLevels = (root: string, parent: string): string[] =>
  parent.split('/').map((_, i, parts) => join(root, ...parts.slice(0, i + 1)))

/**
 * Make the missing levels of the parent, each marked as podshim's, and the
 * pod directory, enabling `enable` in each level from firstOwned down and in
 * each level made here. Another pod's teardown removes shared levels once
 * they are empty, which can happen between two mkdirs (an ENOENT, of a
 * mkdir or of a write): then make them again. Returns the index of the
 * first level this call made (levels.length: none).
 */
export const makePodDir = (cgfs: CgroupFs, levels: readonly string[], firstOwned: number, podDir: string, enable: readonly string[], created: string[]): number => {
  let firstCreated = levels.length
  // a podshim* last level is podshim's by its name: unmarked, so that making it loads no ffi-rs
  const isNamedOwn = (i: number): boolean => i === levels.length - 1 && isPodshimParent(levels[i])
  for (let attempt = 1; ; attempt++) {
    try {
      for (const [i, dir] of levels.entries()) {
        if (mkdirIfAbsent(cgfs, dir)) {
          if (!isNamedOwn(i)) markLevel(cgfs, dir)
          created.push(dir)
          firstCreated = Math.min(firstCreated, i)
        }
        if (i >= Math.min(firstOwned, firstCreated)) enableControllers(cgfs, dir, enable)
      }
      mkdirNew(cgfs, podDir)
      created.push(podDir)
      return firstCreated
    } catch (err) {
      if (errorCode(err) === 'ENOENT' && attempt < MAKE_POD_DIR_ATTEMPTS) continue
      throw err
    }
  }
}

const mkdirIfAbsent = (cgfs: CgroupFs, dir: string): boolean => {
  try {
    cgfs.mkdir(dir)
    return true
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false
    throw mkdirError(dir, err)
  }
}

/** The error of a failed mkdir, naming the cgroup and keeping the errno's code. */
const mkdirError = (dir: string, err: unknown): Error => {
  const hint = errorCode(err) === 'EEXIST' ? ' (left by an earlier run? see removeStalePodCgroup)' : ''
  return Object.assign(new Error(`create cgroup ${dir}: ${(err as Error).message}${hint}`, { cause: err }), { code: errorCode(err) })
}

export const mkdirNew = (cgfs: CgroupFs, dir: string): void => {
  try {
    cgfs.mkdir(dir)
  } catch (err) {
    throw mkdirError(dir, err)
  }
}

/** Enable in dir's subtree_control what is wanted and not yet enabled (dir is podshim's). */
export const enableControllers = (cgfs: CgroupFs, dir: string, wanted: readonly string[]): void => {
  if (wanted.length === 0) return
  const enabled = readControllers(cgfs, join(dir, 'cgroup.subtree_control'))
  const missing = wanted.filter((c) => !enabled.has(c))
  if (missing.length === 0) return
  writeCgroupFile(cgfs, join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '))
}
