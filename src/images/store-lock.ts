// A lock per store resource: flock(2) on `locks/<name>.lock`. Held only for
// the few synchronous file operations of an index update, so waiting is a
// short synchronous sleep; the kernel releases the lock of a process that
// dies, so a crashed pull never wedges the store.
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { tryLockExclusive } from '../native/libc'

const WAIT_STEP_MS = 20
const WAIT_MAX_MS = 30_000

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function withLock<T>(dir: string, name: string, fn: () => T): T {
  const path = join(dir, `${name}.lock`)
  // the file stays: removing it would let a waiter lock an unlinked inode beside a new holder
  const fd = openSync(path, 'a', 0o600)
  try {
    const deadline = Date.now() + WAIT_MAX_MS
    while (!tryLockExclusive(fd, path)) {
      if (Date.now() > deadline) throw new Error(`take lock "${path}": held by another process for more than ${WAIT_MAX_MS / 1000}s`)
      sleepSync(WAIT_STEP_MS)
    }
    return fn()
  } finally {
    closeSync(fd) // releases the lock
  }
}
