// Where the cgroup2 hierarchy is mounted. It is not always /sys/fs/cgroup:
// hybrid hosts mount it at /sys/fs/cgroup/unified with cpu and memory bound
// to v1 hierarchies. The parsers are pure; the readers read mountinfo.
// proc_pid_mountinfo(5), cgroups(7)

import { readFileSync } from 'node:fs'

const MOUNTINFO_PATH = '/proc/self/mountinfo'
/** cgroup v1 super options that name no controller */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods'])

interface MountEntry {
  root: string
  mountPoint: string
  fsType: string
  superOptions: string[]
  /** the optional fields: shared:N, master:N, propagate_from:N, unbindable */
  optional: string[]
}

/** Undo the octal escapes the kernel puts in mountinfo paths (\040 = space). */
export const unescapeMountPath = (path: string): string =>
  path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))

const parseLine = (line: string): MountEntry | undefined => {
  const fields = line.trim().split(' ')
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  const sep = fields.indexOf('-', 6)
  if (fields.length < 7 || sep < 0 || fields.length < sep + 3) return undefined
  return {
    root: unescapeMountPath(fields[3]),
    mountPoint: unescapeMountPath(fields[4]),
    fsType: fields[sep + 1],
    superOptions: (fields[sep + 3] ?? '').split(','),
    optional: fields.slice(6, sep),
  }
}

/** Every mount in mountinfo text, paths unescaped (also used for podshim's own mounts: views, stale pods). */
export const parseMountInfo = (text: string): MountEntry[] =>
  text.split('\n').map(parseLine).filter((e): e is MountEntry => e !== undefined)

/** The mount points of this process's mount namespace. */
export const readMountPoints = (mountinfoPath = MOUNTINFO_PATH): string[] =>
  parseMountInfo(readFileSync(mountinfoPath, 'utf8')).map((e) => e.mountPoint)

/**
 * The cgroup2 mount point in mountinfo text, or undefined when there is
 * none. A mount of the hierarchy's root is preferred over a bind mount of
 * a subtree; among equals the first wins.
 */
export const parseCgroup2Mount = (text: string): string | undefined => {
  const mounts = parseMountInfo(text).filter((e) => e.fsType === 'cgroup2')
  return (mounts.find((e) => e.root === '/') ?? mounts[0])?.mountPoint
}

/** v1 controller → its mount point, from the `cgroup` mounts in mountinfo text. */
export const parseCgroupV1Controllers = (text: string): Map<string, string> => {
  const out = new Map<string, string>()
  for (const e of parseMountInfo(text)) {
    if (e.fsType !== 'cgroup') continue
    for (const opt of e.superOptions) {
      if (NOT_CONTROLLERS.has(opt) || opt.includes('=')) continue
      if (!out.has(opt)) out.set(opt, e.mountPoint)
    }
  }
  return out
}

/** The cgroup2 mount point of this process's mount namespace. */
export const findCgroup2Mount = (mountinfoPath = MOUNTINFO_PATH): string => {
  const found = parseCgroup2Mount(readFileSync(mountinfoPath, 'utf8'))
  if (found === undefined) {
    throw new Error(`find cgroup2 mount: no cgroup2 filesystem in ${mountinfoPath} (podshim needs cgroup v2)`)
  }
  return found
}

/** The controllers bound to cgroup v1 hierarchies in this mount namespace. */
export const findCgroupV1Controllers = (mountinfoPath = MOUNTINFO_PATH): Map<string, string> =>
  parseCgroupV1Controllers(readFileSync(mountinfoPath, 'utf8'))

/**
 * The mount a path is on (the deepest mount point above it), with whether
 * mounts made under it on the host reach other namespaces: shared (shared:N)
 * or a slave (master:N). containerd's ensureSharedOrSlave asks this.
 */
export function propagationOf(path: string, mountinfoPath = MOUNTINFO_PATH): { mountPoint: string; isSharedOrSlave: boolean } {
  const under = (m: string): boolean => m === '/' || path === m || path.startsWith(`${m}/`)
  // the last listed of the deepest: a later mount on the same point hides the earlier one
  const mount = parseMountInfo(readFileSync(mountinfoPath, 'utf8')).filter((e) => under(e.mountPoint))
    .reduce<MountEntry | undefined>((best, e) => (best === undefined || e.mountPoint.length >= best.mountPoint.length ? e : best), undefined)
  return { mountPoint: mount?.mountPoint ?? '/', isSharedOrSlave: mount?.optional.some((o) => o.startsWith('shared:') || o.startsWith('master:')) ?? false }
}
