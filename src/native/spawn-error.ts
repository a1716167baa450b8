// SpawnError: a child failed before execve, as data (op index, errno, the op).
// syscallErrorFromSpawn turns it into the Node-shaped SyscallError that names
// the syscall and the path, e.g. `ENOENT: no such file or directory, execve '/bin/nope'`.

import { constants } from 'node:os'

import { PLAN_OP_SYSCALL, PlanOpCode, SpawnStage, type PlanOp, type SpawnFailure } from './contract'
import { SyscallError, describeErrno, type SyscallErrorOptions } from './syscall-error'

/** What the failing step was called and which path(s) it touched. */
export interface SpawnStep {
  syscall: string
  path?: string
  dest?: string
}

export class SpawnError extends Error implements SpawnFailure {
  readonly opIndex: number
  /** positive, as the child saw it */
  readonly errno: number
  /** the op that failed; undefined for the stages before the first op (opIndex < 0) */
  readonly op?: PlanOp
  readonly step: SpawnStep

  constructor(failure: SpawnFailure, ops: readonly PlanOp[]) {
    const op = failure.opIndex >= 0 ? ops[failure.opIndex] : undefined
    const step = describeStep(failure.opIndex, op)
    const where = op ? `op ${failure.opIndex}` : `stage ${failure.opIndex}`
    super(`spawn: ${where} ${step.syscall} failed: ${describeErrno(failure.errno)[0]}`)
    this.name = 'SpawnError'
    this.opIndex = failure.opIndex
    this.errno = failure.errno
    this.step = step
    if (op) this.op = op
  }
}

const STAGE_SYSCALL: Record<number, string> = {
  [SpawnStage.SetnsPid]: 'setns',
  [SpawnStage.Clone]: 'clone3',
  [SpawnStage.Executor]: 'fcntl',
}

function describeStep(opIndex: number, op: PlanOp | undefined): SpawnStep {
  if (!op) return { syscall: STAGE_SYSCALL[opIndex] ?? 'spawn' }
  const syscall = PLAN_OP_SYSCALL[op.op] ?? 'spawn'
  switch (op.op) {
    case PlanOpCode.Setns:
      return { syscall, path: op.label ?? `/proc/self/fd/${op.fd}` }
    case PlanOpCode.Mount:
      return { syscall, path: op.source ?? 'none', dest: op.target }
    case PlanOpCode.Mkdir:
    case PlanOpCode.Touch:
    case PlanOpCode.OpenRoot:
    case PlanOpCode.OpenPath:
    case PlanOpCode.Mknod:
    case PlanOpCode.PivotRoot:
    case PlanOpCode.Chdir:
    case PlanOpCode.WriteFile:
    case PlanOpCode.Execve:
      return { syscall, path: op.path }
    case PlanOpCode.Symlink:
      return { syscall, path: op.target, dest: op.path }
    case PlanOpCode.MoveMount:
      return { syscall, path: op.target }
    case PlanOpCode.Sethostname:
      return { syscall, path: op.name }
    case PlanOpCode.LoopbackUp:
      return { syscall, path: 'lo' }
    default:
      return { syscall }
  }
}

const { ENOSYS, E2BIG } = constants.errno

/** podshim's minimum kernel is not met; `cause` holds the failing syscall's error. */
export class KernelTooOldError extends Error {
  readonly code = 'PODSHIM_KERNEL_TOO_OLD'

  constructor(cause: Error) {
    super('kernel too old (needs Linux 5.7 for clone3 CLONE_INTO_CGROUP)', { cause })
    this.name = 'KernelTooOldError'
  }
}

/**
 * A too-old kernel shows up as clone3 failing with ENOSYS (before 5.3) or, when a cgroup
 * is asked for, E2BIG (5.3 to 5.6, which do not know CLONE_INTO_CGROUP's field).
 */
export function isKernelTooOld(syscall: string, errno: number): boolean {
  return syscall === 'clone3' && (errno === ENOSYS || errno === E2BIG)
}

/** The Node-shaped error for a failed spawn, with the SpawnError as its cause. */
export function syscallErrorFromSpawn(err: SpawnError): SyscallError {
  const options: SyscallErrorOptions = { cause: err }
  if (err.step.path !== undefined) options.path = err.step.path
  if (err.step.dest !== undefined) options.dest = err.step.dest
  return new SyscallError(err.step.syscall, err.errno, options)
}
