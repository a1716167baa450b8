// hint: lines for errors whose fix is not obvious from the message, keyed by
// the failing syscall and errno code found anywhere in the cause chain, or
// carried by the error itself.
import { SyscallError } from './native/syscall-error'

const HINTS: Record<string, string> = {
  'mount EPERM': 'podshim needs root (CAP_SYS_ADMIN) to mount: run it with sudo',
  'clone3 EPERM': 'podshim needs root to create namespaces: run it with sudo',
  'setns EPERM': 'podshim needs root to join namespaces: run it with sudo',
  'execve ENOENT': 'the command is not in the container\'s image; with podshim/host, use a program installed on this host',
  'execve EACCES': 'the file is not executable, or its file system is mounted noexec',
  'chdir ENOENT': 'workingDir does not exist in the container\'s root',
  'open EACCES': 'podshim needs root to create its state and cgroup directories: run it with sudo',
  'mkdir EACCES': 'podshim needs root to create its state and cgroup directories: run it with sudo',
}

export function hintFor(err: unknown): string | undefined {
  let current: unknown = err
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    // an error that knows its own hint (VolumeError)
    const own = (current as { hint?: unknown }).hint
    if (typeof own === 'string') return own
    const key = current instanceof SyscallError
      ? `${current.syscall} ${current.code}`
      : `${(current as NodeJS.ErrnoException).syscall ?? ''} ${(current as NodeJS.ErrnoException).code ?? ''}`
    if (HINTS[key] !== undefined) return HINTS[key]
    current = current.cause
  }
  return undefined
}
