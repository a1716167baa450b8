import t from 'tap'
import { Writable } from 'node:stream'

import { Terminal } from '../../../src/logs/terminal'

/** A stream that keeps what it gets; `slow` keeps each write pending until release(). */
function sink(options: { highWaterMark?: number; slow?: boolean; fail?: boolean } = {}) {
  const chunks: Buffer[] = []
  const pending: Array<() => void> = []
  const stream = new Writable({
    highWaterMark: options.highWaterMark ?? 16384,
    write(chunk: Buffer, _enc, callback) {
      if (options.fail === true) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
      chunks.push(chunk)
      if (options.slow === true) pending.push(() => callback())
      else callback()
    },
  })
  return { stream, chunks, release: () => pending.splice(0).forEach((f) => f()), text: () => Buffer.concat(chunks).toString('latin1') }
}

t.test('a line is its prefix and its bytes as they came', async (t) => {
  const out = sink()
  const terminal = new Terminal(out.stream, sink().stream)
  terminal.register(['app', 'sidecar'])
  t.ok(terminal.line('app', 'stdout', Buffer.from([0x61, 0xff, 0x00])))
  t.equal(out.text(), 'app     | a\xff\x00\n')
})

t.test('a terminal behind says so, and whenDrained calls back once it caught up', async (t) => {
  const out = sink({ highWaterMark: 8, slow: true })
  const terminal = new Terminal(out.stream, sink().stream)
  t.equal(terminal.line('c', 'stdout', Buffer.from('a long line')), false, 'behind')
  let drained = false
  terminal.whenDrained('stdout', () => { drained = true })
  t.notOk(drained)
  out.release()
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(drained, 'called back on drain')
  let atOnce = false
  terminal.whenDrained('stdout', () => { atOnce = true })
  t.ok(atOnce, 'nothing queued: at once')
})

t.test('a reader that went away (EPIPE) is an error no more: writes stop, nothing throws', async (t) => {
  const out = sink({ fail: true })
  const terminal = new Terminal(out.stream, out.stream)
  terminal.line('c', 'stdout', Buffer.from('first'))
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(terminal.line('c', 'stdout', Buffer.from('second')), 'not behind: dropped')
  terminal.notice('an event')
  let called = false
  terminal.whenDrained('stdout', () => { called = true })
  t.ok(called)
})

t.test('many containers waiting on one terminal share one drain listener', async (t) => {
  const out = sink({ highWaterMark: 8, slow: true })
  const terminal = new Terminal(out.stream, sink().stream)
  terminal.line('c', 'stdout', Buffer.from('a long line'))
  let called = 0
  for (let i = 0; i < 20; i++) terminal.whenDrained('stdout', () => { called++ })
  t.equal(out.stream.listenerCount('drain'), 1, 'no MaxListenersExceededWarning however many wait')
  out.release()
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(called, 20, 'each called back once')
  t.equal(out.stream.listenerCount('drain'), 0)
})


t.test('an event whose message ends in newlines (an exec probe\'s output) is one line', async (t) => {
  const err = sink()
  const terminal = new Terminal(sink().stream, err.stream)
  terminal.notice('Warning Unhealthy spec.containers{c}: Liveness probe failed: not ok\n\n')
  terminal.notice('next')
  t.equal(err.text(), 'Warning Unhealthy spec.containers{c}: Liveness probe failed: not ok\nnext\n')
})

t.test('-q shows no container output, and says so to whoever would tell the user where it went', async (t) => {
  t.equal(new Terminal(sink().stream, sink().stream).isOutputShown, true)
  const quiet = sink()
  const terminal = new Terminal(quiet.stream, quiet.stream, true)
  t.equal(terminal.isOutputShown, false)
  terminal.line('c', 'stdout', Buffer.from('x'))
  t.equal(quiet.text(), '')
})
