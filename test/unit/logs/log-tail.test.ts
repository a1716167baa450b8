import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CriLogWriter } from '../../../src/logs/cri-log'
import { criLogTail, readCriLogTail, recordText, tailStart, TERMINATION_LOG_BYTES, TERMINATION_LOG_LINES } from '../../../src/logs/log-tail'

const T = '2024-01-02T03:04:05.000000000Z'
const full = (text: string, stream = 'stdout'): string => `${T} ${stream} F ${text}\n`
const partial = (text: string, stream = 'stdout'): string => `${T} ${stream} P ${text}\n`
const tail = (log: string, lines?: number, bytes?: number): string => criLogTail(Buffer.from(log), lines, bytes).toString()

t.test('kubelet\'s limits', (t) => {
  t.equal(TERMINATION_LOG_LINES, 80)
  t.equal(TERMINATION_LOG_BYTES, 2048)
  t.end()
})

t.test('tailStart counts newlines from the end, a last line without one on top', (t) => {
  t.equal(tailStart(Buffer.from('a\nb\nc\n'), 2), 2)
  t.equal(tailStart(Buffer.from('a\nb\nc\n'), 3), 0)
  t.equal(tailStart(Buffer.from('a\nb\nc\n'), 9), 0)
  t.equal(tailStart(Buffer.from('a\nb\nc'), 1), 2, 'c has no newline: b and c')
  t.equal(tailStart(Buffer.from(''), 80), 0)
  t.end()
})

t.test('a record\'s text: a full one keeps its newline, a partial one does not', (t) => {
  t.equal(String(recordText(Buffer.from(full('hello')))), 'hello\n')
  t.equal(String(recordText(Buffer.from(partial('hel')))), 'hel')
  t.equal(String(recordText(Buffer.from(full('', 'stderr')))), '\n', 'an empty line')
  t.equal(String(recordText(Buffer.from(full('a b  c')))), 'a b  c\n', 'spaces in the text stay')
  t.equal(String(recordText(Buffer.from(`${T} stdout F:x y\n`))), 'y\n', 'tags after the first are ignored')
  t.equal(String(recordText(Buffer.from(`${T} stdout F torn`))), 'torn', 'a torn last record as it is')
  t.equal(recordText(Buffer.from(`${T} stdin F x\n`)), undefined, 'not a stream')
  t.equal(recordText(Buffer.from('garbage\n')), undefined)
  t.equal(recordText(Buffer.from(' stdout F x\n')), undefined, 'no time')
  t.end()
})

t.test('the tail joins both streams in file order, partial records into their line', (t) => {
  const log = full('one') + full('two', 'stderr') + partial('thr') + partial('e') + full('e') + 'bad line\n' + full('four')
  t.equal(tail(log), 'one\ntwo\nthree\nfour\n')
  t.equal(tail(''), '')
  t.end()
})

t.test('only the last 80 records', (t) => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`)
  const out = tail(lines.map((l) => full(l)).join(''))
  t.equal(out, lines.slice(20).map((l) => `${l}\n`).join(''), 'lines 20..99')
  // records, not lines: a long line cut into partial records counts each
  const cut = full('before') + partial('x').repeat(79) + full('end')
  t.equal(tail(cut), `${'x'.repeat(79)}end\n`, 'the line before the 80 records is left out')
  t.end()
})

t.test('at most the last 2048 bytes', (t) => {
  const long = 'y'.repeat(3000)
  t.equal(tail(full('start') + full(long)), `${'y'.repeat(2047)}\n`)
  const out = tail(Array.from({ length: 80 }, (_, i) => full(`${i}`.padStart(40, '.'))).join(''))
  t.equal(Buffer.byteLength(out), 2048)
  t.ok(out.endsWith('.79\n'))
  t.equal(tail(full('abcdef'), 80, 4), 'def\n', 'the limits are parameters')
  t.end()
})

t.test('readCriLogTail reads a CriLogWriter file back from its end', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-tail-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(dir, 0)
  // far more than one 64 KiB read block, so only the end is read
  for (let i = 0; i < 5000; i++) w.write('stdout', Buffer.from(`out ${i}\n`))
  w.write('stderr', Buffer.from('oops: '))
  w.write('stderr', Buffer.from('z'.repeat(20 * 1024) + '\n'))
  w.write('stdout', Buffer.from('no newline'))
  w.end('stdout')
  w.close()
  const out = readCriLogTail(w.path)
  t.equal(Buffer.byteLength(out), 2048)
  t.ok(out.endsWith(`${'z'.repeat(2048 - 1 - 'no newline'.length)}\nno newline`), 'the 16 KiB cut of a long line is joined again')

  const small = join(dir, 'small.log')
  writeFileSync(small, Array.from({ length: 85 }, (_, i) => full(`l${i}`)).join(''))
  t.equal(readCriLogTail(small, 80, 4096), Array.from({ length: 80 }, (_, i) => `l${i + 5}\n`).join(''))
  t.equal(readCriLogTail(small, 200, 4096).split('\n').length, 86, 'a file shorter than the tail is read whole')
  writeFileSync(small, '')
  t.equal(readCriLogTail(small), '')
  t.throws(() => readCriLogTail(join(dir, 'missing.log')), { code: 'ENOENT' })
  t.end()
})
