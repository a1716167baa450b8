// Compiles one container into the flat op list the native child walks
// between clone3(2) and execve(2): join the pod's namespaces, build a new
// root on a private tmpfs (image entries, /etc files, default mounts,
// volumes), pivot_root(2) into it, set up stdio, drop to the container's
// ids, chdir and exec. Everything is decided here; the child only acts.
// Pure: the caller resolves host facts (image entries, fds) beforehand.
import {
  MS_NODEV, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SLAVE,
  type PlanOp, PlanOpCode,
} from '../native/contract'
import { bindOps, defaultMountOps, type MaskedPath, mkdirOp, mountOp, type PrivilegedMounts, readOnlyRemountOp } from './default-mounts'
import type { ImageRootfs } from '../images/resolver'

/** One entry of an image root: a read-only bind of a host path, a symlink, or an empty dir/tmpfs. */
export type RootEntry =
  | { kind: 'bind'; source: string; path: string; readOnly: boolean; isFile: boolean }
  | { kind: 'symlink'; target: string; path: string }
  | { kind: 'tmpfs'; path: string; data: string }
  | { kind: 'dir'; path: string }

/** A volume (or /etc file) mount, resolved and checked on the host side. */
export interface VolumeMountPlan {
  /** host path (for messages only when treeFd is set) */
  source: string
  /** a detached mount tree (open_tree) to attach instead of binding source */
  treeFd?: number
  /** absolute path inside the container, already normalised */
  target: string
  readOnly: boolean
  /** read-only for the mounts below it too (recursiveReadOnly) */
  recursiveReadOnly?: boolean
  isFile: boolean
  /** mountPropagation HostToContainer: a slave of the host's mount, so host mounts under it show in the container */
  isHostToContainer?: boolean
}

export interface ContainerPlanInput {
  /** host directory that becomes the container's root (a tmpfs is mounted on it in the child's mount namespace) */
  root: string
  rootfs: ImageRootfs
  /** overlay images: the container's own writable upper and work directories on the host */
  overlayDirs: { upper: string; work: string } | null
  readOnlyRootFilesystem: boolean
  mounts: VolumeMountPlan[]
  shmSource: string
  masked: MaskedPath[]
  readonlyPaths: string[]
  /** a privileged container's host devices (default-mounts.ts), or null */
  privileged: PrivilegedMounts | null
  /** namespace fds to join, in this order (network before mounting sysfs and mqueue) */
  joinNamespaces: { fd: number; nstype: number; label: string }[]
  stdio: [number, number, number]
  parentPid: number
  ids: { uid: number; gid: number; groups: number[] } | null
  /** the oom_score_adj to write, or null to keep the inherited one (settableOomScoreAdj) */
  oomScoreAdj: number | null
  capabilities: { keep: number; lastCap: number; noNewPrivs: boolean }
  workingDir: string
  exec: { path: string; argv: string[]; envp: string[] }
}

/**
 * The oom_score_adj a process can be given, or null where it keeps the one
 * it inherits: lowering it below the current value needs CAP_SYS_RESOURCE
 * (proc(5)), raising it does not.
 */
export function settableOomScoreAdj(wanted: number, current: number, canLower: boolean): number | null {
  if (wanted === current) return null
  return wanted > current || canLower ? wanted : null
}

export function containerPlanOps(input: ContainerPlanInput): PlanOp[] {
  const r = input.root
  const ops: PlanOp[] = input.joinNamespaces.map(({ fd, nstype, label }) => ({ op: PlanOpCode.Setns, fd, nstype, label }))
  // nothing mounted from here on may propagate back to the host; with a HostToContainer volume the
  // mounts are slaves instead, as containerd's rootfsPropagation rslave, and every other mount private
  const isSlave = input.mounts.some((m) => m.isHostToContainer === true)
  ops.push(mountOp(null, '/', null, MS_REC | (isSlave ? MS_SLAVE : MS_PRIVATE)))
  ops.push(...rootfsOps(r, input.rootfs, input.overlayDirs, input.readOnlyRootFilesystem, isSlave))
  ops.push(...defaultMountOps({
    root: r, shmSource: input.shmSource,
    masked: input.masked, readonlyPaths: input.readonlyPaths, privileged: input.privileged,
  }))
  for (const mount of input.mounts) ops.push(...volumeOps(r, mount, isSlave))
  // as runc: a working directory the root lacks is made (0755, root's), in a volume where one is mounted, before the root may turn read-only
  if (input.workingDir !== '/') ops.push(...parentDirOps(r, input.workingDir), mkdirOp(`${r}${input.workingDir}`))
  if (input.readOnlyRootFilesystem) ops.push(mountOp(null, r, null, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV))
  ops.push({ op: PlanOpCode.PivotRoot, path: r })
  ops.push(...processOps(input))
  return ops
}

/**
 * The root's own mount, then OpenRoot: every later path below r is resolved
 * inside the root, so a symlink in an image (`etc -> /host/dir`) cannot take
 * a mount, a directory or a file out of it.
 */
function rootfsOps(r: string, rootfs: ImageRootfs, dirs: { upper: string; work: string } | null, isReadOnly: boolean, isSlave: boolean): PlanOp[] {
  const openRoot: PlanOp = { op: PlanOpCode.OpenRoot, path: r }
  if (rootfs.kind === 'entries') {
    return [mountOp('tmpfs', r, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=755'), openRoot, ...rootfs.entries.flatMap((e) => rootEntryOps(r, e, isReadOnly, isSlave))]
  }
  if (dirs === null) throw new Error('an overlay rootfs needs upper and work directories')
  // overlayfs lists the top layer first
  const lower = [...rootfs.layers].reverse().join(':')
  return [mountOp('overlay', r, 'overlay', MS_NODEV, `lowerdir=${lower},upperdir=${dirs.upper},workdir=${dirs.work}`), openRoot]
}

function rootEntryOps(r: string, entry: RootEntry, isReadOnlyRoot: boolean, isSlave: boolean): PlanOp[] {
  const target = `${r}${entry.path}`
  switch (entry.kind) {
    case 'symlink':
      return [{ op: PlanOpCode.Symlink, target: entry.target, path: target }]
    case 'dir':
      return [...parentDirOps(r, entry.path), mkdirOp(target)]
    case 'tmpfs':
      // the view's scratch directories (/tmp, /run) are part of its root: read-only with it, as in a real image
      return [mkdirOp(target), mountOp('tmpfs', target, 'tmpfs', MS_NOSUID | MS_NODEV | (isReadOnlyRoot ? MS_RDONLY : 0), entry.data)]
    case 'bind':
      // an image's read-only view stays read-only below too (a host mount under /opt, say)
      return [...parentDirOps(r, entry.path), placeholder(target, entry.isFile), ...bindOps(entry.source, target, entry.readOnly, 0, true), ...privateOps(target, isSlave)]
  }
}

/** Under a slave root, a bind of a host path is a slave too: made private, as a mount with propagation None is. */
function privateOps(target: string, isSlave: boolean): PlanOp[] {
  return isSlave ? [mountOp(null, target, null, MS_REC | MS_PRIVATE)] : []
}

function volumeOps(r: string, mount: VolumeMountPlan, isSlave: boolean): PlanOp[] {
  const target = `${r}${mount.target}`
  const ops = [...parentDirOps(r, mount.target), placeholder(target, mount.isFile)]
  const recursive = mount.recursiveReadOnly === true
  if (mount.treeFd === undefined) {
    const propagation = mount.isHostToContainer === true ? [mountOp(null, target, null, MS_REC | MS_SLAVE)] : privateOps(target, isSlave)
    return [...ops, ...bindOps(mount.source, target, mount.readOnly, 0, recursive), ...propagation]
  }
  ops.push({ op: PlanOpCode.MoveMount, fd: mount.treeFd, target })
  if (mount.readOnly) ops.push(readOnlyRemountOp(target, 0, recursive))
  return ops
}

function placeholder(path: string, isFile: boolean): PlanOp {
  return isFile ? { op: PlanOpCode.Touch, path, mode: 0o644 } : mkdirOp(path)
}

/** mkdir -p of the parents of an absolute in-container path */
function parentDirOps(r: string, path: string): PlanOp[] {
  const parts = path.split('/').filter((p) => p !== '')
  return parts.slice(0, -1).map((_, i) => mkdirOp(`${r}/${parts.slice(0, i + 1).join('/')}`))
}

interface ProcessInput {
  stdio: [number, number, number]
  parentPid: number
  ids: { uid: number; gid: number; groups: number[] } | null
  /** written to /proc/self/oom_score_adj; absent or null = keep the inherited value */
  oomScoreAdj?: number | null
  /** the bounding set kept (a mask), the kernel's highest capability, no_new_privs */
  capabilities: { keep: number; lastCap: number; noNewPrivs: boolean }
  workingDir: string
  exec: { path: string; argv: string[]; envp: string[] }
}

/** The last steps of every process: stdio, no leaked fds, capabilities, ids, die with the supervisor, cwd, exec. */
function processOps(input: ProcessInput): PlanOp[] {
  // a session of its own, as runc gives a container: the terminal's Ctrl-C reaches podshim, which stops the pod gracefully
  const ops: PlanOp[] = [{ op: PlanOpCode.Setsid }]
  input.stdio.forEach((fd, target) => ops.push({ op: PlanOpCode.Dup2, fd, target }))
  ops.push({ op: PlanOpCode.CloseFrom, fd: 3 })
  // as runc: before the ids, while /proc/self is still root's to write
  if (input.oomScoreAdj !== undefined && input.oomScoreAdj !== null) {
    ops.push({ op: PlanOpCode.WriteFile, path: '/proc/self/oom_score_adj', data: String(input.oomScoreAdj) })
  }
  // before the ids: dropping from the bounding set needs CAP_SETPCAP, which a change to another user loses
  ops.push({ op: PlanOpCode.Capabilities, ...input.capabilities })
  if (input.ids !== null) ops.push({ op: PlanOpCode.SetIds, ...input.ids })
  // after the ids: a change of uid or gid clears the parent-death signal (credentials(7))
  ops.push({ op: PlanOpCode.Pdeathsig, signal: 9, parentPid: input.parentPid })
  ops.push({ op: PlanOpCode.Chdir, path: input.workingDir }, { op: PlanOpCode.Execve, ...input.exec })
  return ops
}

/** The op list for a process that joins a running container (probes, hooks, `podshim exec`). */
export function joinPlanOps(input: ProcessInput & { joinNamespaces: { fd: number; nstype: number }[] }): PlanOp[] {
  const ops: PlanOp[] = input.joinNamespaces.map(({ fd, nstype }) => ({ op: PlanOpCode.Setns, fd, nstype }))
  ops.push(...processOps(input))
  return ops
}
