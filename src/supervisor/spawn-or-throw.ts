// One place where a failed spawn becomes the error users see: a Node-shaped
// SyscallError naming the syscall and path (`ENOENT: no such file or
// directory, execve '/bin/nope'`), or the addon's kernel-too-old error, each
// under the action that failed.
import type { NativeApi, SpawnPlan, SpawnedProcess } from '../native/contract'
import { SpawnError, syscallErrorFromSpawn } from '../native/spawn-error'

export function spawnOrThrow(native: NativeApi, plan: SpawnPlan, action: string): SpawnedProcess {
  try {
    return native.spawn(plan)
  } catch (err) {
    // the addon already tells a too-old kernel (KernelTooOldError) from other failures: add the action to all
    throw new Error(action, { cause: err instanceof SpawnError ? syscallErrorFromSpawn(err) : err })
  }
}
