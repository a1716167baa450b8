// kubelet's ContainerLogManager (pkg/kubelet/logs/container_log_manager.go)
// and its container GC, for one container's logs:
//  - a log over containerLogMaxSize (10Mi) is renamed <log>.<YYYYMMDD-hhmmss>
//    and a new one started; the rotated files but the newest are gzipped
//    (<log>.<time>.gz), and at most containerLogMaxFiles (5) files are kept,
//    the current one included, the oldest going first. kubelet looks every
//    10 s; podshim rotates at the first record past the limit, then at most
//    once a period (at the period's end when the container went quiet).
//  - of a container's dead instances only the newest keeps its log
//    (MaxPerPodContainer 1): an instance's start removes the logs of the
//    ones before the previous, rotated files included.
//  - a container's first instance takes its restart count from the logs
//    already there (calcRestartCountByLogDir): a pod run again with the
//    same uid goes on from its last log instead of writing into it.
import { createReadStream, createWriteStream, readdirSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** kubelet's containerLogMaxSize default */
export const LOG_MAX_BYTES = 10 * 1024 * 1024
/** kubelet's containerLogMaxFiles default: the current log and the rotated ones */
export const LOG_MAX_FILES = 5

const INSTANCE_LOG = /^(\d+)\.log(\..+)?$/

/** The rotated files of `path`, oldest first (their time stamps sort as they were made). */
export function rotatedLogs(path: string): string[] {
  const name = basename(path)
  return readdirSync(dirname(path)).filter((f) => f.startsWith(`${name}.`) && !f.endsWith('.tmp')).sort().map((f) => join(dirname(path), f))
}

/** kubelet's rotation time stamp, UTC: 20061231-150405 */
export function rotationStamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}-${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`
}

/**
 * Rotate `path` (closed by the caller, reopened after): rename it, drop the
 * rotated files beyond the limit, and gzip the older ones in the background.
 * `onError` hears what failed in the background.
 */
export function rotateLog(path: string, now: Date, onError: (err: Error) => void): void {
  let target = `${path}.${rotationStamp(now)}`
  // two rotations in one second: the second waits for a name of its own
  for (let n = 1; rotatedLogs(path).some((f) => f === target || f === `${target}.gz`); n++) target = `${path}.${rotationStamp(now)}-${n}`
  renameSync(path, target)
  const rotated = rotatedLogs(path)
  for (const old of rotated.slice(0, Math.max(0, rotated.length - (LOG_MAX_FILES - 1)))) rmSync(old, { force: true })
  for (const file of rotatedLogs(path).slice(0, -1)) {
    if (file.endsWith('.gz') || compressing.has(file)) continue
    const done = compress(file).catch(onError).finally(() => compressing.delete(file))
    compressing.set(file, done)
  }
}

/** rotated logs being gzipped, by file */
const compressing = new Map<string, Promise<void>>()

/** Resolves once every gzip under way is done: the run waits for them, so no half-written .gz is left. */
export function compressionsDone(): Promise<void> {
  return Promise.all(compressing.values()).then(() => undefined)
}

async function compress(file: string): Promise<void> {
  const temp = `${file}.gz.tmp`
  try {
    // loaded by the first rotation only: every pod start would pay for them
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises')
    const { createGzip } = require('node:zlib') as typeof import('node:zlib')
    await pipeline(createReadStream(file), createGzip(), createWriteStream(temp, { mode: 0o640 }))
    renameSync(temp, `${file}.gz`)
    rmSync(file, { force: true })
  } catch (err) {
    rmSync(temp, { force: true })
    // a file a later rotation removed meanwhile needs no compressing
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new Error(`compress rotated container log "${file}"`, { cause: err })
  }
}

/** Container GC: remove the logs of instances older than the one before `restartCount`. */
export function removeOldInstanceLogs(dir: string, restartCount: number): void {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = INSTANCE_LOG.exec(name)
    if (m !== null && Number(m[1]) < restartCount - 1) rmSync(join(dir, name), { force: true })
  }
}

/** kubelet's calcRestartCountByLogDir: one past the highest instance with a log in dir (its rotated files count), 0 without any. */
export function nextRestartCount(dir: string): number {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  let next = 0
  for (const name of names) {
    const m = INSTANCE_LOG.exec(name)
    if (m !== null) next = Math.max(next, Number(m[1]) + 1)
  }
  return next
}
