// Errors as users read them: one line, each layer's context joined by ": "
// down the `cause` chain (`start container "web": ENOENT: …`), and the exit
// code `podshim run` uses for a container that never ran (STYLE.md: 126/127
// when execve itself failed with EACCES/ENOENT, 125 for any other failure
// before exec).
import { SyscallError } from '../native/syscall-error'

export function describeError(err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  while (current !== undefined && current !== null && parts.length < 10) {
    if (!(current instanceof Error)) {
      parts.push(String(current))
      break
    }
    parts.push(current.message)
    // a SyscallError's cause is internal data (the SpawnError): its message says it all
    if (current instanceof SyscallError) break
    current = current.cause
  }
  return parts.filter((p, i) => i === 0 || !parts[i - 1].endsWith(p)).join(': ')
}

export function runExitCodeOf(err: unknown): number {
  for (let current = err, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (current instanceof SyscallError && current.syscall === 'execve') {
      if (current.code === 'ENOENT') return 127
      if (current.code === 'EACCES') return 126
    }
  }
  return 125
}

/** How a process ended, for events: "exit code 3" or "signal 9". */
export function howEnded(status: { code: number | null; signal: number | null }): string {
  return status.signal === null ? `exit code ${status.code}` : `signal ${status.signal}`
}
