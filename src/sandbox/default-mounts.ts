// The mounts every container gets, as plan ops relative to its new root:
// /proc of its PID namespace, a minimal /dev (the runtime-spec default
// devices, devpts, the pod's /dev/shm, mqueue), read-only /sys, and the
// masked and read-only paths containerd applies. Values follow containerd's
// defaults (REFERENCE-kubelet.md, "Container security defaults"). A
// privileged container, as containerd makes one, gets the host's devices
// instead of the default ones, a read-write /sys, and nothing masked or
// read-only. Pure.
import {
  MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_REMOUNT, MS_STRICTATIME,
  type PlanOp, PlanOpCode,
} from '../native/contract'
import type { HostDevice } from './host-devices'

/** Device nodes the runtime-spec says a container must have; bind-mounted from the host. */
export const DEFAULT_DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty']

/** containerd's default masked paths (made unreadable) and read-only /proc paths. */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
]
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']

/** A masked path that exists on this kernel, and whether it is a directory (checked by the caller). */
export interface MaskedPath {
  path: string
  isDir: boolean
}

export interface DefaultMountsInput {
  root: string
  /** host directory of the pod's shared /dev/shm tmpfs (with hostIPC: the host's /dev/shm) */
  shmSource: string
  masked: MaskedPath[]
  readonlyPaths: string[]
  /** a privileged container; null: the default devices, bound, /sys read-only, the masks */
  privileged: PrivilegedMounts | null
}

/** What a privileged container's mounts need: the host's device nodes, to be made in its /dev. */
export interface PrivilegedMounts {
  hostDevices: HostDevice[]
}

export function mountOp(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): PlanOp {
  return { op: PlanOpCode.Mount, source, target, fstype, flags, data }
}

/**
 * bind source (and the mounts below it) on target, read-only when asked: a
 * bind needs a remount to become read-only, which covers the mounts below it
 * too when recursive (the child makes that one mount_setattr(AT_RECURSIVE)).
 */
export function bindOps(source: string, target: string, readOnly: boolean, extraFlags = 0, recursive = false): PlanOp[] {
  const ops = [mountOp(source, target, null, MS_BIND | MS_REC)]
  if (readOnly) ops.push(readOnlyRemountOp(target, extraFlags, recursive))
  return ops
}

/** MS_BIND|MS_REMOUNT|MS_RDONLY of target; with MS_REC it covers the mounts below it too. */
export function readOnlyRemountOp(target: string, extraFlags = 0, recursive = false): PlanOp {
  return mountOp(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY | extraFlags | (recursive ? MS_REC : 0))
}

export function mkdirOp(path: string, mode = 0o755): PlanOp {
  return { op: PlanOpCode.Mkdir, path, mode }
}

/** The nodes (and the directories they are in) under dev, as the host has them. */
export function deviceNodeOps(dev: string, devices: HostDevice[]): PlanOp[] {
  const ops: PlanOp[] = []
  const made = new Set<string>()
  for (const d of devices) {
    const parts = d.name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (!made.has(dir)) ops.push(mkdirOp(`${dev}/${dir}`))
      made.add(dir)
    }
    ops.push({ op: PlanOpCode.Mknod, path: `${dev}/${d.name}`, mode: d.mode, major: d.major, minor: d.minor, uid: d.uid, gid: d.gid })
  }
  return ops
}

export function defaultMountOps(input: DefaultMountsInput): PlanOp[] {
  const r = input.root
  const ops: PlanOp[] = [
    mkdirOp(`${r}/proc`),
    mountOp('proc', `${r}/proc`, 'proc', MS_NOSUID | MS_NOEXEC | MS_NODEV),
    mkdirOp(`${r}/sys`),
    mountOp('sysfs', `${r}/sys`, 'sysfs', MS_NOSUID | MS_NOEXEC | MS_NODEV | (input.privileged !== null ? 0 : MS_RDONLY)),
    mkdirOp(`${r}/dev`),
    mountOp('tmpfs', `${r}/dev`, 'tmpfs', MS_NOSUID | MS_STRICTATIME, 'mode=755,size=65536k'),
  ]
  if (input.privileged === null) {
    for (const dev of DEFAULT_DEVICES) {
      ops.push({ op: PlanOpCode.Touch, path: `${r}/dev/${dev}`, mode: 0o666 })
      ops.push(mountOp(`/dev/${dev}`, `${r}/dev/${dev}`, null, MS_BIND))
    }
  } else {
    ops.push(...deviceNodeOps(`${r}/dev`, input.privileged.hostDevices))
  }
  ops.push(
    mkdirOp(`${r}/dev/pts`),
    mountOp('devpts', `${r}/dev/pts`, 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5'),
    { op: PlanOpCode.Symlink, target: 'pts/ptmx', path: `${r}/dev/ptmx` },
    mkdirOp(`${r}/dev/shm`),
    mountOp(input.shmSource, `${r}/dev/shm`, null, MS_BIND),
    mkdirOp(`${r}/dev/mqueue`),
    mountOp('mqueue', `${r}/dev/mqueue`, 'mqueue', MS_NOSUID | MS_NOEXEC | MS_NODEV),
    { op: PlanOpCode.Symlink, target: '/proc/self/fd', path: `${r}/dev/fd` },
    { op: PlanOpCode.Symlink, target: '/proc/self/fd/0', path: `${r}/dev/stdin` },
    { op: PlanOpCode.Symlink, target: '/proc/self/fd/1', path: `${r}/dev/stdout` },
    { op: PlanOpCode.Symlink, target: '/proc/self/fd/2', path: `${r}/dev/stderr` },
  )
  // containerd: nothing masked or read-only in a privileged container
  if (input.privileged !== null) return ops
  for (const masked of input.masked) {
    ops.push(masked.isDir
      ? mountOp('tmpfs', `${r}${masked.path}`, 'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=0k')
      : mountOp('/dev/null', `${r}${masked.path}`, null, MS_BIND))
  }
  for (const path of input.readonlyPaths) ops.push(...bindOps(`${r}${path}`, `${r}${path}`, true, MS_NOSUID | MS_NODEV | MS_NOEXEC))
  return ops
}
