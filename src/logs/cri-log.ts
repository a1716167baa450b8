// Container logs in kubelet's CRI format, one file per container instance:
//   <logRoot>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log
// Each line: "<RFC3339Nano time> <stream> <P|F> <text>" (F = full line,
// P = partial: a line cut by a flush or a very long line), as the CRI spec
// and kubelet's log reader define it. Append-only, so `tail -f` works.
// A log that cannot be written (disk full, EIO, a read-only log root) never
// stops the container or the supervisor: as containerd's redirectLogs, the
// writer goes on draining the container's output (which still reaches the
// terminal, unless -q shows none) and says once what failed, and where the
// output still goes. Rotation and the removal of old instances' logs are
// kubelet's (log-rotation.ts).
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import { makeDirs } from '../make-dirs'
import { describeError } from '../supervisor/describe-error'
import { rfc3339Nano, wallClockNs } from '../utc-time'
import { LOG_MAX_BYTES, removeOldInstanceLogs, rotateLog } from './log-rotation'

export type LogStream = 'stdout' | 'stderr'

/** Told the first error of a writer (an Error naming the log file, its cause the system error). */
export type LogErrorListener = (err: Error) => void

/** kubelet's containerLogMonitorInterval: how often a log's size is held against the limit */
const ROTATION_CHECK_MS = 10_000

/** Lines longer than this many bytes are split (containerd's default max container log line, 16 KiB). */
const MAX_LINE_BYTES = 16 * 1024

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d
const NEWLINE_BYTE = Buffer.from('\n')
const EMPTY = Buffer.alloc(0)

/** Pure: one CRI log record, its text as the bytes came. `time` in ns since the epoch. */
export function criRecord(time: bigint, stream: LogStream, partial: boolean, text: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${rfc3339Nano(time)} ${stream} ${partial ? 'P' : 'F'} `), text, NEWLINE_BYTE])
}

export function podLogDir(logRoot: string, namespace: string, podName: string, uid: string): string {
  return join(logRoot, `${namespace}_${podName}_${uid}`)
}

/** A line's content as containerd logs it: the "\r" of a "\r\n" ending is dropped with the "\n" (its readLine). */
function lineContent(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line
}

/** The first error as one warning on stderr, saying where the container's output still goes: with -q, nowhere. */
export function warnOnStderr(isOutputShown: boolean): LogErrorListener {
  const rest = isOutputShown ? 'its output still reaches the terminal' : 'with -q its output is not shown either'
  return (err) => process.stderr.write(`podshim: warning: ${describeError(err)} (the container runs on; ${rest})\n`)
}

/**
 * Splits a byte stream into lines and writes each as a CRI record; one per
 * container instance. Bytes go to the file as they came (containerd does not
 * decode them), and a line is cut every 16 KiB of bytes.
 */
export class CriLogWriter {
  /** null where the file could not be opened: records are dropped */
  private fd: number | null = null
  private pending: Record<LogStream, Buffer> = { stdout: EMPTY, stderr: EMPTY }
  /** the file ends inside a record (a short write): the next one starts on a line of its own */
  private isTorn = false
  private hasFailed = false
  /** bytes in the current file, and when its size was last held against the rotation limit (kubelet's 10 s monitor) */
  private size = 0
  private lastRotationCheckMs = -Infinity
  /** a rotation waiting for the period's end (the log passed the limit within it) */
  private rotationTimer: NodeJS.Timeout | undefined
  readonly path: string

  constructor(
    dir: string, restartCount: number, private readonly onError: LogErrorListener = warnOnStderr(true),
    /** how often the size is held against the limit (kubelet's 10 s; tests pass less) */
    private readonly rotationPeriodMs = ROTATION_CHECK_MS,
  ) {
    this.path = join(dir, `${restartCount}.log`)
    try {
      // 0755, as kubelet makes the pod's log directories
      makeDirs(dir, 0o755)
      removeOldInstanceLogs(dir, restartCount)
      this.open()
    } catch (err) {
      this.fail('open', err)
    }
  }

  private open(): void {
    // 0640, as containerd opens a container's log file
    this.fd = openSync(this.path, 'a', 0o640)
    this.size = fstatSync(this.fd).size
  }

  /** Feed a chunk; returns what the terminal shows: each line it finished, and each 16 KiB cut of one still open. */
  write(stream: LogStream, chunk: Buffer, time = wallClockNs()): Buffer[] {
    const data = this.pending[stream].length === 0 ? chunk : Buffer.concat([this.pending[stream], chunk])
    const shown: Buffer[] = []
    let start = 0
    for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
      const line = lineContent(data.subarray(start, end))
      this.record(stream, line, time)
      shown.push(line)
      start = end + 1
    }
    let rest = data.subarray(start)
    while (rest.length > MAX_LINE_BYTES) {
      const cut = rest.subarray(0, MAX_LINE_BYTES)
      this.writeRecord(time, stream, true, cut)
      shown.push(cut)
      rest = rest.subarray(MAX_LINE_BYTES)
    }
    // a copy: the chunk it came in is not kept alive by a few bytes of it
    this.pending[stream] = Buffer.from(rest)
    return shown
  }

  /** The stream ended: a trailing line without newline is written as a partial record (containerd's tag for it). */
  end(stream: LogStream, time = wallClockNs()): Buffer | undefined {
    const rest = this.pending[stream]
    this.pending[stream] = EMPTY
    if (rest.length === 0) return undefined
    this.writeRecord(time, stream, true, rest)
    return rest
  }

  close(): void {
    clearTimeout(this.rotationTimer)
    this.rotationTimer = undefined
    if (this.fd === null) return
    const fd = this.fd
    this.fd = null
    try {
      closeSync(fd)
    } catch (err) {
      this.fail('close', err)
    }
  }

  /** A complete line; one longer than the maximum goes out as partial records ending in a full one. */
  private record(stream: LogStream, line: Buffer, time: bigint): void {
    let rest = line
    while (rest.length > MAX_LINE_BYTES) {
      this.writeRecord(time, stream, true, rest.subarray(0, MAX_LINE_BYTES))
      rest = rest.subarray(MAX_LINE_BYTES)
    }
    this.writeRecord(time, stream, false, rest)
  }

  private writeRecord(time: bigint, stream: LogStream, partial: boolean, text: Buffer): void {
    if (this.fd === null) return
    const record = criRecord(time, stream, partial, text)
    const data = this.isTorn ? Buffer.concat([NEWLINE_BYTE, record]) : record
    let written = 0
    try {
      // a regular file may take part of a write (the disk filling up): the rest follows, or its error
      while (written < data.length) written += writeSync(this.fd, data, written)
      this.isTorn = false
    } catch (err) {
      if (written > 0) this.isTorn = true
      this.fail('write', err)
    }
    this.size += written
    if (this.size > LOG_MAX_BYTES) this.rotateIfDue()
  }

  /** As kubelet's log manager, which looks every 10 s: a log past the limit is rotated, at most once a period. */
  private rotateIfDue(): void {
    const now = Date.now()
    if (this.fd === null) return
    if (now - this.lastRotationCheckMs < this.rotationPeriodMs) {
      // kubelet's next look comes whether or not the container writes again
      this.rotationTimer ??= setTimeout(() => {
        this.rotationTimer = undefined
        if (this.size > LOG_MAX_BYTES) this.rotateIfDue()
      }, this.lastRotationCheckMs + this.rotationPeriodMs - now).unref()
      return
    }
    this.lastRotationCheckMs = now
    try {
      closeSync(this.fd)
      this.fd = null
      rotateLog(this.path, new Date(now), (err) => this.fail('rotate', err))
      this.open()
    } catch (err) {
      this.fail('rotate', err)
      if (this.fd === null) {
        try {
          this.open()
        } catch {
          // the first error was told; records are dropped from here on
        }
      }
    }
  }

  /** Only the first error is told: a full disk fails every record after it. */
  private fail(action: string, err: unknown): void {
    if (this.hasFailed) return
    this.hasFailed = true
    this.onError(new Error(`${action} container log "${this.path}"`, { cause: err }))
  }
}
