// The file-system seam of the cgroup manager: the few operations it makes
// on cgroupfs, so unit tests can stand a kernel-like fake in its place
// (rimraf's fs seam). The real implementation never creates files: a write
// opens an existing interface file O_WRONLY, as the kernel offers them.
// Extended attributes (which node:fs lacks) go through ffi-rs, loaded only
// by the first of them.
// cgroups(7), open(2), setxattr(2), getxattr(2), flock(2)

import { closeSync, constants, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { call, dataTypes, tryLockExclusive } from '../native/libc'
import { SyscallError } from '../native/syscall-error'

export interface CgroupFs {
  /** the whole text of a file; throws ENOENT when absent */
  readFile(path: string): string
  /** one write(2) of data to an existing file (no O_CREAT, no O_TRUNC) */
  writeFile(path: string, data: string): void
  /** mkdir(2); throws EEXIST when present */
  mkdir(path: string): void
  /** rmdir(2) */
  rmdir(path: string): void
  /** names of the subdirectories of path (child cgroups) */
  listDirs(path: string): string[]
  /** an O_RDONLY|O_DIRECTORY|O_CLOEXEC fd, e.g. for CLONE_INTO_CGROUP */
  openDir(path: string): number
  /** an O_WRONLY|O_CLOEXEC fd of an existing file, e.g. cgroup.kill for pause; throws ENOENT when absent */
  openForWrite(path: string): number
  /** setxattr(2) of a cgroup directory (a trusted.* name needs CAP_SYS_ADMIN) */
  setXattr(path: string, name: string, value: string): void
  /** whether the cgroup directory has the extended attribute (getxattr(2); ENODATA: false) */
  hasXattr(path: string, name: string): boolean
  /** an flock(2) on the directory, waiting up to waitMs for another process's; returns its release */
  lockDir(path: string, waitMs: number): () => void
}

/** The kernel's cgroupfs through node:fs; libuv adds O_CLOEXEC to every open. */
export const nodeCgroupFs: CgroupFs = {
  readFile: (path) => readFileSync(path, 'utf8'),
  writeFile: (path, data) => {
    const fd = openSync(path, constants.O_WRONLY)
    try {
      writeSync(fd, data)
    } finally {
      closeSync(fd)
    }
  },
  mkdir: (path) => mkdirSync(path),
  rmdir: (path) => rmdirSync(path),
  listDirs: (path) => readdirSync(path, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name),
  openDir: (path) => openSync(path, constants.O_RDONLY | constants.O_DIRECTORY),
  openForWrite: (path) => openSync(path, constants.O_WRONLY),
  setXattr: (path, name, value) => {
    const { String: Str, U64, I32 } = dataTypes()
    const r = call('setxattr', [[Str, path], [Str, name], [Str, value], [U64, Buffer.byteLength(value)], [I32, 0]])
    if (r.value < 0) throw new SyscallError('setxattr', r.errno, { path, dest: name })
  },
  hasXattr: (path, name) => {
    // a NULL buffer of size 0: getxattr only says how long the value is
    const { String: Str, U64, I64 } = dataTypes()
    const r = call('getxattr', [[Str, path], [Str, name], [U64, 0], [U64, 0]], I64)
    if (r.value >= 0) return true
    if (r.errno === osConstants.errno.ENODATA) return false
    throw new SyscallError('getxattr', r.errno, { path, dest: name })
  },
  lockDir: (path, waitMs) => {
    const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY)
    const deadline = Date.now() + waitMs
    try {
      // a blocking flock would hold the event loop past a Ctrl-C; the lock is held for a few syscalls
      while (!tryLockExclusive(fd, path)) {
        if (Date.now() >= deadline) throw new Error(`lock ${path}: another podshim run has held it for more than ${waitMs / 1000} s`)
        Atomics.wait(PAUSE, 0, 0, LOCK_POLL_MS)
      }
    } catch (err) {
      closeSync(fd)
      throw err
    }
    return () => closeSync(fd)
  },
}

/** what a wait for lockDir sleeps on (Atomics.wait: a synchronous sleep) */
const PAUSE = new Int32Array(new SharedArrayBuffer(4))
const LOCK_POLL_MS = 2

/** The errno code of a Node fs error, if any. */
export const errorCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined

/** A cgroup file write that failed; names the value and the file. */
export class CgroupWriteError extends Error {
  readonly code: string | undefined
  readonly path: string
  readonly value: string

  constructor(path: string, value: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`write "${value.trim()}" to ${path}: ${reason}`, { cause })
    this.name = 'CgroupWriteError'
    this.code = errorCode(cause)
    this.path = path
    this.value = value
  }
}

/** Write value to path, turning a failure into a CgroupWriteError. */
export const writeCgroupFile = (cgfs: CgroupFs, path: string, value: string): void => {
  try {
    cgfs.writeFile(path, value)
  } catch (err) {
    throw new CgroupWriteError(path, value, err)
  }
}

/** Read a file, or undefined when it does not exist. */
export const readIfExists = (cgfs: CgroupFs, path: string): string | undefined => {
  try {
    return cgfs.readFile(path)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined
    throw err
  }
}

/** The `key value` lines of memory.events, cgroup.events and the like. */
export const parseFlatKeyed = (text: string): Map<string, number> => {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/)
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value))
  }
  return out
}

export interface MemoryEvents {
  low: number
  high: number
  max: number
  oom: number
  oomKill: number
  oomGroupKill: number
}

/** memory.events (cgroup-v2.rst); absent keys read as 0. */
export const parseMemoryEvents = (text: string): MemoryEvents => {
  const m = parseFlatKeyed(text)
  return {
    low: m.get('low') ?? 0,
    high: m.get('high') ?? 0,
    max: m.get('max') ?? 0,
    oom: m.get('oom') ?? 0,
    oomKill: m.get('oom_kill') ?? 0,
    oomGroupKill: m.get('oom_group_kill') ?? 0,
  }
}
