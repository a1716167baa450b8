// One place where a failed spawn becomes the error users see: a Node-shaped
// SyscallError naming the syscall and path (`ENOENT: no such file or
// directory, execve '/bin/nope'`), or the kernel-too-old message.
import type { NativeApi, SpawnPlan, SpawnedProcess } from '../native/contract'
import { SpawnError, isKernelTooOld, syscallErrorFromSpawn } from '../native/spawn-error'

export function spawnOrThrow(native: NativeApi, plan: SpawnPlan, action: string): SpawnedProcess {
  try {
    return native.spawn(plan)
  } catch (err) {
    if (!(err instanceof SpawnError)) throw err
    if (isKernelTooOld(err.step.syscall, err.errno)) {
      throw new Error(`${action}: kernel too old: podshim needs Linux 5.7 or later (clone3 with CLONE_INTO_CGROUP)`, { cause: err })
    }
    throw new Error(action, { cause: syscallErrorFromSpawn(err) })
  }
}
