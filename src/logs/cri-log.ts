// Container logs in kubelet's CRI format, one file per container instance:
//   <logRoot>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log
// Each line: "<RFC3339Nano time> <stream> <P|F> <text>" (F = full line,
// P = partial: a line cut by a flush or a very long line), as the CRI spec
// and kubelet's log reader define it. Append-only, so `tail -f` works.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'

import { rfc3339Nano } from '../utc-time'

export type LogStream = 'stdout' | 'stderr'

/** Lines longer than this many characters are split (containerd's default max container log line, 16 KiB). */
const MAX_LINE_BYTES = 16 * 1024

/** Pure: format one CRI log record. `time` in ms with an optional extra ns part. */
export function formatCriLine(time: Date, stream: LogStream, partial: boolean, text: string): string {
  return `${rfc3339Nano(time)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`
}

export function podLogDir(logRoot: string, namespace: string, podName: string, uid: string): string {
  return join(logRoot, `${namespace}_${podName}_${uid}`)
}

/** Splits a byte stream into lines and writes each as a CRI record; one per container instance. */
export class CriLogWriter {
  private readonly fd: number
  private pending: Record<LogStream, string> = { stdout: '', stderr: '' }
  readonly path: string

  constructor(dir: string, restartCount: number) {
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    this.path = join(dir, `${restartCount}.log`)
    this.fd = openSync(this.path, 'a', 0o640)
  }

  /** Feed a chunk; returns the complete lines it finished (for the terminal). */
  write(stream: LogStream, chunk: string, time = new Date()): string[] {
    const text = this.pending[stream] + chunk
    const parts = text.split('\n')
    this.pending[stream] = parts.pop() ?? ''
    for (const line of parts) this.record(stream, line, time)
    while (this.pending[stream].length > MAX_LINE_BYTES) {
      const cut = this.pending[stream].slice(0, MAX_LINE_BYTES)
      this.pending[stream] = this.pending[stream].slice(MAX_LINE_BYTES)
      writeSync(this.fd, formatCriLine(time, stream, true, cut))
    }
    return parts
  }

  /** The stream ended: a trailing line without newline is written as a partial record. */
  end(stream: LogStream, time = new Date()): string | undefined {
    const rest = this.pending[stream]
    this.pending[stream] = ''
    if (rest === '') return undefined
    writeSync(this.fd, formatCriLine(time, stream, true, rest))
    return rest
  }

  close(): void {
    closeSync(this.fd)
  }

  /** A complete line; one longer than the maximum goes out as partial records ending in a full one. */
  private record(stream: LogStream, line: string, time: Date): void {
    let rest = line
    while (rest.length > MAX_LINE_BYTES) {
      writeSync(this.fd, formatCriLine(time, stream, true, rest.slice(0, MAX_LINE_BYTES)))
      rest = rest.slice(MAX_LINE_BYTES)
    }
    writeSync(this.fd, formatCriLine(time, stream, false, rest))
  }
}
