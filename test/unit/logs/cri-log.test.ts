import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CriLogWriter, criRecord, podLogDir } from '../../../src/logs/cri-log'
import { rfc3339Nano } from '../../../src/utc-time'

t.test('CRI line format', (t) => {
  const time = new Date(Date.UTC(2016, 9, 6, 0, 17, 9, 669))
  t.equal(rfc3339Nano(time), '2016-10-06T00:17:09.669000000Z')
  t.equal(String(criRecord(time, 'stdout', false, Buffer.from('log line'))), '2016-10-06T00:17:09.669000000Z stdout F log line\n')
  t.equal(String(criRecord(time, 'stderr', true, Buffer.from('part'))), '2016-10-06T00:17:09.669000000Z stderr P part\n')
  t.equal(podLogDir('/var/log/podshim', 'default', 'web', 'u1'), '/var/log/podshim/default_web_u1')
  t.end()
})

const b = (s: string): Buffer => Buffer.from(s)
const text = (lines: Buffer[]): string[] => lines.map(String)

t.test('writer splits chunks into lines and marks a trailing partial', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(join(dir, 'c'), 2)
  t.same(text(w.write('stdout', b('a\nb'))), ['a'])
  t.same(text(w.write('stderr', b('err\n'))), ['err'])
  t.same(text(w.write('stdout', b('c\n'))), ['bc'])
  w.write('stdout', b('tail'))
  t.equal(String(w.end('stdout')), 'tail')
  w.close()
  t.equal(w.path, join(dir, 'c', '2.log'))
  const lines = readFileSync(w.path, 'utf8').trimEnd().split('\n').map((l) => l.split(' ').slice(1).join(' '))
  t.same(lines, ['stdout F a', 'stderr F err', 'stdout F bc', 'stdout P tail'])
  t.end()
})

t.test('a very long line is split into partial records of 16 KiB of bytes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(dir, 0)
  w.write('stdout', b('x'.repeat(40 * 1024) + '\n'))
  // 10,000 two-byte characters: 20,000 bytes, one cut
  w.write('stdout', b('\u00e9'.repeat(10_000) + '\n'))
  w.close()
  const records = readFileSync(w.path).toString('latin1').trimEnd().split('\n')
  t.same(records.map((l) => l.split(' ')[2]), ['P', 'P', 'F', 'P', 'F'])
  t.same(records.map((l) => l.split(' ').slice(3).join(' ').length), [16384, 16384, 8192, 16384, 3616], 'lengths in bytes')
  t.end()
})

t.test('bytes are written as they came, and a line still open is cut at 16 KiB', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(dir, 0)
  const binary = Buffer.from([0x62, 0xff, 0xfe, 0x00, 0x7a])
  t.same(w.write('stdout', Buffer.concat([binary, b('\n')])), [binary])
  const shown = w.write('stdout', b('y'.repeat(20_000)))
  t.same(shown.map((s) => s.length), [16384], 'the cut is shown as it is written')
  w.end('stdout')
  w.close()
  const file = readFileSync(w.path)
  const first = file.subarray(0, file.indexOf(0x0a))
  t.same(first.subarray(first.length - binary.length), binary, 'invalid UTF-8 and NUL kept')
  t.end()
})
