// Container logs in kubelet's CRI format, one file per container instance:
//   <logRoot>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log
// Each line: "<RFC3339Nano time> <stream> <P|F> <text>" (F = full line,
// P = partial: a line cut by a flush or a very long line), as the CRI spec
// and kubelet's log reader define it. Append-only, so `tail -f` works.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import { rfc3339Nano } from '../utc-time'

export type LogStream = 'stdout' | 'stderr'

/** Lines longer than this many bytes are split (containerd's default max container log line, 16 KiB). */
const MAX_LINE_BYTES = 16 * 1024

const NEWLINE = 0x0a
const NEWLINE_BYTE = Buffer.from('\n')
const EMPTY = Buffer.alloc(0)

/** Pure: one CRI log record, its text as the bytes came. `time` in ms with an optional extra ns part. */
export function criRecord(time: Date, stream: LogStream, partial: boolean, text: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${rfc3339Nano(time)} ${stream} ${partial ? 'P' : 'F'} `), text, NEWLINE_BYTE])
}

export function podLogDir(logRoot: string, namespace: string, podName: string, uid: string): string {
  return join(logRoot, `${namespace}_${podName}_${uid}`)
}

/**
 * Splits a byte stream into lines and writes each as a CRI record; one per
 * container instance. Bytes go to the file as they came (containerd does not
 * decode them), and a line is cut every 16 KiB of bytes.
 */
export class CriLogWriter {
  private readonly fd: number
  private pending: Record<LogStream, Buffer> = { stdout: EMPTY, stderr: EMPTY }
  readonly path: string

  constructor(dir: string, restartCount: number) {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    this.path = join(dir, `${restartCount}.log`)
    this.fd = openSync(this.path, 'a', 0o640)
  }

  /** Feed a chunk; returns what the terminal shows: each line it finished, and each 16 KiB cut of one still open. */
  write(stream: LogStream, chunk: Buffer, time = new Date()): Buffer[] {
    const data = this.pending[stream].length === 0 ? chunk : Buffer.concat([this.pending[stream], chunk])
    const shown: Buffer[] = []
    let start = 0
    for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE, start)) {
      const line = data.subarray(start, end)
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
  end(stream: LogStream, time = new Date()): Buffer | undefined {
    const rest = this.pending[stream]
    this.pending[stream] = EMPTY
    if (rest.length === 0) return undefined
    this.writeRecord(time, stream, true, rest)
    return rest
  }

  close(): void {
    closeSync(this.fd)
  }

  /** A complete line; one longer than the maximum goes out as partial records ending in a full one. */
  private record(stream: LogStream, line: Buffer, time: Date): void {
    let rest = line
    while (rest.length > MAX_LINE_BYTES) {
      this.writeRecord(time, stream, true, rest.subarray(0, MAX_LINE_BYTES))
      rest = rest.subarray(MAX_LINE_BYTES)
    }
    this.writeRecord(time, stream, false, rest)
  }

  private writeRecord(time: Date, stream: LogStream, partial: boolean, text: Buffer): void {
    writeSync(this.fd, criRecord(time, stream, partial, text))
  }
}

