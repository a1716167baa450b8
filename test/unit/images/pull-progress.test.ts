// Pull progress: what a terminal shows after the escape sequences (a tiny
// screen model: CSI n A, CSI 2 K, newline, text), and the plain lines
// written when the stream is not a TTY.
import t from 'tap'

import type { PullEvent } from '../../../src/images/image-pull'
import { PullProgress } from '../../../src/images/pull-progress'

class Screen {
  lines: string[] = ['']
  row = 0
  isTTY = true
  write(text: string): void {
    for (const m of text.matchAll(/\x1b\[(\d*)([AK])|\n|[^\x1b\n]+/g)) {
      if (m[2] === 'A') this.row -= Number(m[1] || 1)
      else if (m[2] === 'K') this.lines[this.row] = ''
      else if (m[0] === '\n') {
        this.row++
        this.lines[this.row] ??= ''
      } else this.lines[this.row] += m[0]
    }
  }
  get text(): string[] {
    return this.lines.slice(0, this.row)
  }
}

const A = 'sha256:aaaaaaaaaaaa0000'
const B = 'sha256:bbbbbbbbbbbb0000'
const C = 'sha256:cccccccccccc0000'
const layer = (digest: string, state: 'cached' | 'fetching' | 'unpacking' | 'done', done: number, total: number): PullEvent => ({ kind: 'layer', digest, state, done, total })

t.test('a TTY shows one line per layer of every image, redrawn in place', async (t) => {
  const screen = new Screen()
  let now = 0
  const progress = new PullProgress(screen, () => now)
  const one = progress.forImage('one')
  const two = progress.forImage('two')
  one({ kind: 'resolved', manifestDigest: 'sha256:m', layers: 2 })
  one(layer(A, 'cached', 10, 10))
  one(layer(B, 'fetching', 0, 4e6))
  two(layer(C, 'fetching', 0, 2e6))
  now += 200
  one(layer(B, 'fetching', 2e6, 4e6))
  t.same(screen.text, ['one aaaaaaaaaaaa already present', `one bbbbbbbbbbbb [${'='.repeat(12)}${' '.repeat(12)}] 2.0/4.0 MB`, `two cccccccccccc [${' '.repeat(24)}] 0.0/2.0 MB`])
  now += 10
  one(layer(B, 'fetching', 3e6, 4e6))
  t.match(screen.text[1], /2\.0\/4\.0 MB/, 'fetching redraws are throttled')
  two(layer(C, 'done', 2e6, 2e6))
  progress.finish('two')
  one(layer(B, 'done', 4e6, 4e6))
  progress.finish('one')
  t.same(screen.text, ['two cccccccccccc done (2.0 MB)', 'one aaaaaaaaaaaa already present', 'one bbbbbbbbbbbb done (4.0 MB)'], 'finished images stay on the screen, in the order they finished')
  screen.write('after\n')
  t.equal(screen.text.at(-1), 'after', 'the cursor is below the block')
})

t.test('clear() erases the block for other output', async (t) => {
  const screen = new Screen()
  const progress = new PullProgress(screen)
  progress.forImage('one')(layer(A, 'fetching', 0, 1e6))
  progress.clear()
  screen.write('event\n')
  progress.forImage('one')(layer(A, 'unpacking', 1e6, 1e6))
  t.same(screen.text, ['event', 'one aaaaaaaaaaaa unpacking'])
})

t.test('elsewhere, one plain line per state change', async (t) => {
  const written: string[] = []
  const progress = new PullProgress({ write: (s: string) => written.push(s) })
  const one = progress.forImage('one')
  one({ kind: 'resolved', manifestDigest: 'sha256:m', layers: 1 })
  one(layer(A, 'fetching', 0, 1e6))
  one(layer(A, 'fetching', 5e5, 1e6))
  one(layer(A, 'unpacking', 1e6, 1e6))
  one(layer(A, 'done', 1e6, 1e6))
  progress.finish('one')
  t.same(written.join('').split('\n'), ['one manifest sha256:m (1 layers)', 'one aaaaaaaaaaaa fetching', 'one aaaaaaaaaaaa unpacking', 'one aaaaaaaaaaaa done (1.0 MB)', ''])
})
