// What `podshim run` shows on the terminal: container output prefixed with the
// container's name (coloured on a TTY, a stable colour per name, as
// docker compose does), and lifecycle events as they happen.
import type { Writable } from 'node:stream'

const COLOURS = [36, 33, 32, 35, 34, 91, 92, 93, 94, 95, 96]

type Stream = Writable & { isTTY?: boolean; writableLength?: number }

export class Terminal {
  private readonly colourOf = new Map<string, number>()
  private width = 0
  /** streams whose reader went away (EPIPE, a closed terminal): nothing more is written to them */
  private readonly gone = new Set<Stream>()
  /** what waits for each stream's 'drain' */
  private readonly waiting = new Map<Stream, Array<() => void>>()

  constructor(
    private readonly out: Stream,
    private readonly err: Stream,
    private readonly quiet = false,
  ) {
    // without a listener a write error is an uncaught exception: the pod would be left behind
    for (const stream of new Set([out, err])) stream.on('error', () => this.gone.add(stream))
  }

  /** Whether container output is shown at all (-q shows none). */
  get isOutputShown(): boolean {
    return !this.quiet
  }

  /** Reserve the prefix width for these names so the columns line up. */
  register(names: string[]): void {
    for (const name of names) {
      if (!this.colourOf.has(name)) this.colourOf.set(name, COLOURS[this.colourOf.size % COLOURS.length])
      this.width = Math.max(this.width, name.length)
    }
  }

  /**
   * One line of a container's output, its bytes as they came. Returns false
   * when the terminal is behind (a slow reader, a paused pager): the caller
   * stops reading that container until whenDrained, so the container waits
   * instead of podshim's memory filling up.
   */
  line(container: string, stream: 'stdout' | 'stderr', text: Buffer): boolean {
    if (this.quiet) return true
    const target = stream === 'stdout' ? this.out : this.err
    return this.write(target, Buffer.concat([Buffer.from(this.prefix(container, target.isTTY === true)), text, NEWLINE]))
  }

  /**
   * Calls back once what is queued for this stream is written out (at once
   * if nothing is, or its reader is gone). One 'drain' listener per stream
   * serves every container waiting on it, however many there are.
   */
  whenDrained(stream: 'stdout' | 'stderr', callback: () => void): void {
    const target = stream === 'stdout' ? this.out : this.err
    if (this.gone.has(target) || (target.writableLength ?? 0) === 0) return callback()
    let waiting = this.waiting.get(target)
    if (waiting === undefined) {
      const callbacks: Array<() => void> = []
      const release = (): void => {
        target.off('drain', release)
        target.off('error', release)
        this.waiting.delete(target)
        for (const waiter of callbacks) waiter()
      }
      target.on('drain', release)
      target.on('error', release)
      waiting = callbacks
      this.waiting.set(target, waiting)
    }
    waiting.push(callback)
  }

  /** A lifecycle event or notice, on stderr so stdout stays the pod's output (and --output json). */
  notice(text: string): void {
    if (this.quiet) return
    // an exec probe's output ends in its own newline: one line per event still
    text = text.replace(/\n+$/, '')
    const dim = this.err.isTTY === true
    this.write(this.err, dim ? `\x1b[2m${text}\x1b[0m\n` : `${text}\n`)
  }

  private write(target: Stream, data: Buffer | string): boolean {
    if (this.gone.has(target)) return true
    try {
      return target.write(data)
    } catch {
      // a synchronous stream (a file) throws instead
      this.gone.add(target)
      return true
    }
  }

  private prefix(name: string, isTty: boolean): string {
    if (!this.colourOf.has(name)) this.register([name])
    const label = `${name.padEnd(this.width)} | `
    return isTty ? `\x1b[${this.colourOf.get(name)}m${label}\x1b[0m` : label
  }
}

const NEWLINE = Buffer.from('\n')
