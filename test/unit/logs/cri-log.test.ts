import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CriLogWriter, formatCriLine, podLogDir } from '../../../src/logs/cri-log'
import { rfc3339Nano } from '../../../src/utc-time'

t.test('CRI line format', (t) => {
  const time = new Date(Date.UTC(2016, 9, 6, 0, 17, 9, 669))
  t.equal(rfc3339Nano(time), '2016-10-06T00:17:09.669000000Z')
  t.equal(formatCriLine(time, 'stdout', false, 'log line'), '2016-10-06T00:17:09.669000000Z stdout F log line\n')
  t.equal(formatCriLine(time, 'stderr', true, 'part'), '2016-10-06T00:17:09.669000000Z stderr P part\n')
  t.equal(podLogDir('/var/log/podshim', 'default', 'web', 'u1'), '/var/log/podshim/default_web_u1')
  t.end()
})

t.test('writer splits chunks into lines and marks a trailing partial', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(join(dir, 'c'), 2)
  t.same(w.write('stdout', 'a\nb'), ['a'])
  t.same(w.write('stderr', 'err\n'), ['err'])
  t.same(w.write('stdout', 'c\n'), ['bc'])
  w.write('stdout', 'tail')
  t.equal(w.end('stdout'), 'tail')
  w.close()
  t.equal(w.path, join(dir, 'c', '2.log'))
  const lines = readFileSync(w.path, 'utf8').trimEnd().split('\n').map((l) => l.split(' ').slice(1).join(' '))
  t.same(lines, ['stdout F a', 'stderr F err', 'stdout F bc', 'stdout P tail'])
  t.end()
})

t.test('a very long line is split into partial records', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(dir, 0)
  w.write('stdout', 'x'.repeat(40 * 1024) + '\n')
  w.close()
  const tags = readFileSync(w.path, 'utf8').trimEnd().split('\n').map((l) => l.split(' ')[2])
  t.same(tags, ['P', 'P', 'F'])
  t.end()
})
