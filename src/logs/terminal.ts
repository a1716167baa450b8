// What `podshim run` shows on the terminal: container output prefixed with the
// container's name (coloured on a TTY, a stable colour per name, as
// docker compose does), and lifecycle events as they happen.
import type { Writable } from 'node:stream'

const COLOURS = [36, 33, 32, 35, 34, 91, 92, 93, 94, 95, 96]

export class Terminal {
  private readonly colourOf = new Map<string, number>()
  private width = 0

  constructor(
    private readonly out: Writable & { isTTY?: boolean },
    private readonly err: Writable & { isTTY?: boolean },
    private readonly quiet = false,
  ) {}

  /** Reserve the prefix width for these names so the columns line up. */
  register(names: string[]): void {
    for (const name of names) {
      if (!this.colourOf.has(name)) this.colourOf.set(name, COLOURS[this.colourOf.size % COLOURS.length])
      this.width = Math.max(this.width, name.length)
    }
  }

  line(container: string, stream: 'stdout' | 'stderr', text: string): void {
    if (this.quiet) return
    const target = stream === 'stdout' ? this.out : this.err
    target.write(`${this.prefix(container, target.isTTY === true)}${text}\n`)
  }

  /** A lifecycle event or notice, on stderr so stdout stays the pod's output (and --output json). */
  notice(text: string): void {
    if (this.quiet) return
    const dim = this.err.isTTY === true
    this.err.write(dim ? `\x1b[2m${text}\x1b[0m\n` : `${text}\n`)
  }

  private prefix(name: string, isTty: boolean): string {
    if (!this.colourOf.has(name)) this.register([name])
    const label = `${name.padEnd(this.width)} | `
    return isTty ? `\x1b[${this.colourOf.get(name)}m${label}\x1b[0m` : label
  }
}
