// Plain libc calls with no fork around them, made through ffi-rs rather than
// by growing the C++ addon (DESIGN.md "The native boundary"): the host-side
// mounts of volumes and of the pod's /dev/shm. Failures throw SyscallError
// with errno as ffi-rs reads it right after the call (`errno: true`).
//
// NULL arguments: ffi-rs has no nullable string, so a null pointer is passed
// as a U64 0 in that parameter's slot, which the C calling convention passes
// exactly like a pointer on the 64-bit targets podshim supports.
//
// Man pages: mount(2), umount2(2).

import { DataType, load, open } from 'ffi-rs'

import { SyscallError } from './syscall-error'

const LIBRARY = 'libc'
let isOpen = false

export type Param = [DataType, unknown]

/** Call a libc function through ffi-rs; errno as read right after the call. */
export function call(funcName: string, params: Param[], retType = DataType.I32): { value: number; errno: number } {
  if (!isOpen) {
    open({ library: LIBRARY, path: 'libc.so.6' })
    isOpen = true
  }
  const result = load({
    library: LIBRARY,
    funcName,
    retType,
    paramsType: params.map(([type]) => type),
    paramsValue: params.map(([, value]) => value),
    errno: true,
  }) as unknown as { value: number; errnoCode: number }
  return { value: Number(result.value), errno: result.errnoCode }
}

function cString(value: string | null): Param {
  return value === null ? [DataType.U64, 0] : [DataType.String, value]
}

/** mount(2); throws `EPERM: operation not permitted, mount 'source' -> 'target'`. */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const { value, errno } = call('mount', [cString(source), cString(target), cString(fstype), [DataType.U64, flags], cString(data)])
  if (value < 0) throw new SyscallError('mount', errno, { path: source ?? 'none', dest: target })
}

export const MNT_DETACH = 2

/** umount2(2); throws `EBUSY: resource busy or locked, umount2 '/x'`. */
export function umount2(target: string, flags: number): void {
  const { value, errno } = call('umount2', [cString(target), [DataType.I32, flags]])
  if (value < 0) throw new SyscallError('umount2', errno, { path: target })
}

const OPEN_TREE_CLONE = 1
const OPEN_TREE_CLOEXEC = 0o2000000
const AT_EMPTY_PATH = 0x1000

/**
 * open_tree(fd, "", OPEN_TREE_CLONE|AT_EMPTY_PATH|OPEN_TREE_CLOEXEC): a detached
 * copy of the mount at an fd (Linux 5.2), which a child in another mount
 * namespace can attach with move_mount(2), as a bind mount by fd.
 */
export function openTreeClone(fd: number, label: string): number {
  const { value, errno } = call('open_tree', [[DataType.I32, fd], [DataType.String, ''], [DataType.I32, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH]])
  if (value < 0) throw new SyscallError('open_tree', errno, { path: label })
  return value
}

const LOCK_EX = 2
const LOCK_NB = 4
const EWOULDBLOCK = 11

/**
 * flock(fd, LOCK_EX|LOCK_NB): true when the lock was taken, false when another
 * open file holds it. The kernel drops the lock with its holder, so a
 * process that dies holding it can never wedge anyone (flock(2)).
 */
export function tryLockExclusive(fd: number, label: string): boolean {
  const { value, errno } = call('flock', [[DataType.I32, fd], [DataType.I32, LOCK_EX | LOCK_NB]])
  if (value === 0) return true
  if (errno === EWOULDBLOCK) return false
  throw new SyscallError('flock', errno, { path: label })
}
