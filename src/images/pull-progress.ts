// Pull progress for a terminal: on a TTY a block of lines, one per layer of
// every image being pulled (several at once in a pod), redrawn in place with
// cursor-up and erase-line, fetching lines throttled; elsewhere one plain
// line per layer state change. Shared by `podshim image pull` and `podshim
// run`. Redrawing in place assumes nothing else writes to the stream while
// a pull runs; a caller that also prints (events, container output) calls
// clear() before and lets the next event redraw. ECMA-48 CSI A / K.
import type { PullEvent } from './image-pull'

export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
}

const BAR_WIDTH = 24
const REDRAW_INTERVAL_MS = 100

interface LayerLine {
  image: string
  digest: string
  state: string
  done: number
  total: number
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)

export function formatLayerLine(l: LayerLine, isTty: boolean): string {
  const short = l.digest.slice(7, 19)
  if (l.state === 'fetching' && isTty) {
    const filled = l.total > 0 ? Math.min(BAR_WIDTH, Math.round((l.done / l.total) * BAR_WIDTH)) : 0
    return `${l.image} ${short} [${'='.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ${mb(l.done)}/${mb(l.total)} MB`
  }
  const word = l.state === 'cached' ? 'already present' : l.state === 'done' ? `done (${mb(l.total)} MB)` : l.state
  return `${l.image} ${short} ${word}`
}

export class PullProgress {
  private readonly lines: LayerLine[] = []
  /** how many lines of the block are on the screen below the cursor's block start */
  private drawn = 0
  private lastDrawMs = 0
  private readonly isTty: boolean

  constructor(private readonly out: ProgressStream, private readonly now: () => number = () => Date.now()) {
    this.isTty = out.isTTY === true
  }

  /** the event handler for one image's pull */
  forImage(image: string): (event: PullEvent) => void {
    return (e) => {
      if (e.kind === 'resolved') {
        if (!this.isTty) this.out.write(`${image} manifest ${e.manifestDigest} (${e.layers} layers)\n`)
        return
      }
      let line = this.lines.find((l) => l.image === image && l.digest === e.digest)
      const isNewState = line?.state !== e.state
      if (line === undefined) {
        line = { image, digest: e.digest, state: e.state, done: e.done, total: e.total }
        this.lines.push(line)
      }
      Object.assign(line, { state: e.state, done: e.done, total: e.total })
      if (!this.isTty) {
        if (isNewState) this.out.write(formatLayerLine(line, false) + '\n')
        return
      }
      if (!isNewState && this.now() - this.lastDrawMs < REDRAW_INTERVAL_MS) return
      this.draw()
    }
  }

  /** an image is done: its lines are drawn a last time at the top of the block, and stay there */
  finish(image: string): void {
    const done = this.lines.filter((l) => l.image === image)
    const rest = this.lines.filter((l) => l.image !== image)
    this.lines.splice(0, this.lines.length, ...done, ...rest)
    if (this.isTty && done.length > 0) this.draw()
    this.lines.splice(0, done.length)
    this.drawn = Math.max(0, this.drawn - done.length)
  }

  /** erase the block (before someone else writes); the next event draws it again */
  clear(): void {
    if (!this.isTty || this.drawn === 0) return
    this.out.write(`\x1b[${this.drawn}A${'\x1b[2K\n'.repeat(this.drawn)}\x1b[${this.drawn}A`)
    this.drawn = 0
  }

  private draw(): void {
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : ''
    const body = this.lines.map((l) => `\x1b[2K${formatLayerLine(l, true)}\n`).join('')
    // lines left over from a longer block are erased
    const extra = Math.max(0, this.drawn - this.lines.length)
    this.out.write(up + body + (extra > 0 ? `${'\x1b[2K\n'.repeat(extra)}\x1b[${extra}A` : ''))
    this.drawn = this.lines.length
    this.lastDrawMs = this.now()
  }
}
