// The directories above and of a pod's cgroup: the levels of the parent
// (nested or not) and the pod directory, made with the controllers podshim
// enables in them, and the plain-name checks every cgroup name passes.
// podshim writes only to the levels it makes (see pod-cgroup.ts).
import { basename, join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs, readIfExists, writeCgroupFile } from './cgroup-fs'
import { readControllers } from './delegation'

/** attempts at making the pod directory while another pod's teardown removes the shared parent */
const MAKE_POD_DIR_ATTEMPTS = 5

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

/** The directory of each level of the parent, top first: `a/b` → `<root>/a`, `<root>/a/b`. */
export const parentLevels = (root: string, parent: string): string[] =>
  parent.split('/').map((_, i, parts) => join(root, ...parts.slice(0, i + 1)))

/**
 * The levels of the parent that do not exist yet, as the parent's own
 * prefixes, top first (`a/b` with `a` present: [`a/b`]): what a run is about
 * to make, recorded before it makes them, so that a later run can remove
 * them should this one be killed (removeStalePodCgroup).
 */
export const missingParentLevels = (root: string, parent: string, cgfs: CgroupFs = nodeCgroupFs): string[] => {
  checkParent(parent)
  const parts = parent.split('/')
  const first = parts.findIndex((_, i) => readIfExists(cgfs, join(root, ...parts.slice(0, i + 1), 'cgroup.controllers')) === undefined)
  return first < 0 ? [] : parts.slice(first).map((_, i) => parts.slice(0, first + i + 1).join('/'))
}

/**
 * Make the missing levels of the parent and the pod directory, enabling
 * `enable` in each level from firstOwned down and in each level made here.
 * Another pod's teardown removes shared levels once they are empty, which
 * can happen between two mkdirs: then make them again. Returns the index of
 * the first level this call made (levels.length: none).
 */
export const makePodDir = (cgfs: CgroupFs, levels: readonly string[], firstOwned: number, podDir: string, enable: readonly string[], created: string[]): number => {
  let firstCreated = levels.length
  for (let attempt = 1; ; attempt++) {
    try {
      for (const [i, dir] of levels.entries()) {
        if (mkdirIfAbsent(cgfs, dir)) {
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
