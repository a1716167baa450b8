// A lock file per store resource (`locks/<name>.lock`, created O_EXCL with
// the holder's pid in it). Held only for the few synchronous file operations
// of an index update, so waiting is a short synchronous sleep; a lock whose
// holder has died (the pid no longer exists) is broken, as a crashed pull
// must never wedge the store.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

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
  const deadline = Date.now() + WAIT_MAX_MS
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`take lock "${path}"`, { cause: err })
      let holder = NaN
      try {
        holder = Number(readFileSync(path, 'utf8'))
      } catch {
        continue
      }
      // an empty file is a holder between open and write: wait for it
      if (holder > 0 && !isProcessAlive(holder)) {
        rmSync(path, { force: true })
        continue
      }
      if (Date.now() > deadline) throw new Error(`take lock "${path}": held by pid ${holder} for more than ${WAIT_MAX_MS / 1000}s`)
      sleepSync(WAIT_STEP_MS)
    }
  }
  try {
    return fn()
  } finally {
    rmSync(path, { force: true })
  }
}
