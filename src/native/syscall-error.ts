// SyscallError: a failed system call with the shape and message format of
// Node's own (`ENOENT: no such file or directory, open '/x'`), so callers and
// the CLI treat podshim's native failures exactly like fs errors. Names and
// descriptions come from util.getSystemErrorMap(); the native side only ever
// hands over numbers (STYLE.md "Errors").

import { constants } from 'node:os'
import { getSystemErrorMap } from 'node:util'

let errnoNames: Map<number, string> | undefined

/** [code, description] for a positive errno, e.g. 2 → ['ENOENT', 'no such file or directory']. */
export function describeErrno(errno: number): [string, string] {
  const known = getSystemErrorMap().get(-Math.abs(errno))
  if (known) return known
  // libuv's map lacks some Linux errnos (e.g. ECHILD's cousins); os.constants has every name.
  errnoNames ??= new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]))
  return [errnoNames.get(Math.abs(errno)) ?? `Unknown system error ${-Math.abs(errno)}`, 'unknown error']
}

export interface SyscallErrorOptions {
  path?: string
  dest?: string
  cause?: unknown
}

export class SyscallError extends Error {
  /** 'ENOENT' */
  readonly code: string
  /** negative, as Node's own errors: -2 */
  readonly errno: number
  readonly syscall: string
  readonly path?: string
  readonly dest?: string

  /** errno may be given positive (as C has it) or negative (as Node has it). */
  constructor(syscall: string, errno: number, options: SyscallErrorOptions = {}) {
    const [code, description] = describeErrno(errno)
    let message = `${code}: ${description}, ${syscall}`
    if (options.path !== undefined) message += ` '${options.path}'`
    if (options.dest !== undefined) message += ` -> '${options.dest}'`
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SyscallError'
    this.code = code
    this.errno = -Math.abs(errno)
    this.syscall = syscall
    if (options.path !== undefined) this.path = options.path
    if (options.dest !== undefined) this.dest = options.dest
  }
}

/** Throw a SyscallError when a native call returned -errno; pass any other value through. */
export function checkErrno<T>(result: T | number, syscall: string, options?: SyscallErrorOptions): T {
  if (typeof result === 'number' && result < 0) throw new SyscallError(syscall, result, options)
  return result as T
}
