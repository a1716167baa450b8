// Plain libc calls with no fork around them, made through ffi-rs rather than
// by growing the C++ addon (DESIGN.md "The native boundary"): the host-side
// mounts of volumes, and the unmount of a pod's /dev/shm that its pause
// could not unmount (killed). Failures throw SyscallError
// with errno as ffi-rs reads it right after the call (`errno: true`).
//
// NULL arguments: ffi-rs has no nullable string, so a null pointer is passed
// as a U64 0 in that parameter's slot, which the C calling convention passes
// exactly like a pointer on the 64-bit targets podshim supports.
//
// ffi-rs is loaded on the first call, not on import: loading it costs
// milliseconds, which a pod that mounts nothing from the host never pays.
//
// Man pages: mount(2), umount2(2).

import { constants as fsConstants } from 'node:fs'
import { constants } from 'node:os'

import type * as FfiRs from 'ffi-rs'

import { SyscallError } from './syscall-error'

const LIBRARY = 'libc'
let ffiRs: typeof FfiRs | undefined

export type DataType = FfiRs.DataType
export type Param = [DataType, unknown]

/**
 * require('ffi-rs'). Its loader picks the glibc or musl build of its binding
 * by asking process.report.getReport() for the glibc version: a whole
 * diagnostic report (stacks, handles, shared objects), ~5 ms of every pod
 * start. podshim needs glibc anyway (it opens libc.so.6), so while ffi-rs
 * loads, process.report answers only that question.
 */
function requireFfiRs(): typeof FfiRs {
  const report = Object.getOwnPropertyDescriptor(process, 'report')
  if (report?.configurable !== true) return require('ffi-rs') as typeof FfiRs
  Object.defineProperty(process, 'report', {
    configurable: true,
    value: { getReport: () => ({ header: { glibcVersionRuntime: 'libc.so.6' } }) },
  })
  try {
    return require('ffi-rs') as typeof FfiRs
  } finally {
    Object.defineProperty(process, 'report', report)
  }
}

/** ffi-rs with libc open in it, loaded on first use. */
function ffi(): typeof FfiRs {
  if (ffiRs === undefined) {
    const loaded = requireFfiRs()
    loaded.open({ library: LIBRARY, path: 'libc.so.6' })
    ffiRs = loaded
  }
  return ffiRs
}

/** ffi-rs's DataType enum (its values come from its native binding). */
export function dataTypes(): typeof FfiRs.DataType {
  return ffi().DataType
}

/** Call a libc function through ffi-rs; errno as read right after the call (the return type defaults to I32). */
export function call(funcName: string, params: Param[], retType?: DataType): { value: number; errno: number } {
  const { load, DataType } = ffi()
  const result = load({
    library: LIBRARY,
    funcName,
    retType: retType ?? DataType.I32,
    paramsType: params.map(([type]) => type),
    paramsValue: params.map(([, value]) => value),
    errno: true,
  }) as unknown as { value: number; errnoCode: number }
  return { value: Number(result.value), errno: result.errnoCode }
}

function cString(value: string | null): Param {
  const { U64, String } = dataTypes()
  return value === null ? [U64, 0] : [String, value]
}

function i32(value: number): Param {
  return [dataTypes().I32, value]
}

/** mount(2); throws `EPERM: operation not permitted, mount 'source' -> 'target'`. */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  const { value, errno } = call('mount', [cString(source), cString(target), cString(fstype), [dataTypes().U64, flags], cString(data)])
  if (value < 0) throw new SyscallError('mount', errno, { path: source ?? 'none', dest: target })
}

export const MNT_DETACH = 2

/** umount2(2); throws `EBUSY: resource busy or locked, umount2 '/x'`. */
export function umount2(target: string, flags: number): void {
  const { value, errno } = call('umount2', [cString(target), i32(flags)])
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
  const { value, errno } = call('open_tree', [i32(fd), cString(''), i32(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)])
  if (value < 0) throw new SyscallError('open_tree', errno, { path: label })
  return value
}

/** open(2) flags Node's fs.constants lacks (asm-generic/fcntl.h). */
export const O_PATH = 0o10000000
const O_CLOEXEC = 0o2000000

/**
 * openat(2) of one name in a directory fd, never following a symlink there
 * (O_PATH|O_NOFOLLOW|O_CLOEXEC); undefined where the name does not exist.
 */
export function openPathAt(dirFd: number, name: string, label: string): number | undefined {
  const flags = O_PATH | fsConstants.O_NOFOLLOW | O_CLOEXEC
  const { value, errno } = call('openat', [i32(dirFd), cString(name), i32(flags)])
  if (value >= 0) return value
  if (errno === constants.errno.ENOENT) return undefined
  throw new SyscallError('openat', errno, { path: label })
}

/** mkdirat(2) of one name in a directory fd; an existing one is fine. */
export function mkdirAt(dirFd: number, name: string, mode: number, label: string): void {
  const { value, errno } = call('mkdirat', [i32(dirFd), cString(name), i32(mode)])
  if (value < 0 && errno !== constants.errno.EEXIST) throw new SyscallError('mkdirat', errno, { path: label })
}

const LOCK_EX = 2
const LOCK_NB = 4

/**
 * flock(fd, LOCK_EX|LOCK_NB): true when the lock was taken, false when another
 * open file holds it. The kernel drops the lock with its holder, so a
 * process that dies holding it can never wedge anyone (flock(2)).
 */
export function tryLockExclusive(fd: number, label: string): boolean {
  const { value, errno } = call('flock', [i32(fd), i32(LOCK_EX | LOCK_NB)])
  if (value === 0) return true
  if (errno === constants.errno.EWOULDBLOCK) return false
  throw new SyscallError('flock', errno, { path: label })
}
