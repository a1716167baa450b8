import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CriLogWriter, criRecord, podLogDir, warnOnStderr } from '../../../src/logs/cri-log'
import { rfc3339Nano } from '../../../src/utc-time'

t.test('CRI line format', (t) => {
  const time = BigInt(Date.UTC(2016, 9, 6, 0, 17, 9, 669)) * 1_000_000n + 794_202n
  t.equal(rfc3339Nano(time), '2016-10-06T00:17:09.669794202Z')
  t.equal(String(criRecord(time, 'stdout', false, Buffer.from('log line'))), '2016-10-06T00:17:09.669794202Z stdout F log line\n')
  t.equal(String(criRecord(time, 'stderr', true, Buffer.from('part'))), '2016-10-06T00:17:09.669794202Z stderr P part\n')
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

t.test('a "\\r\\n" line ending is dropped whole, as containerd reads lines', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const w = new CriLogWriter(dir, 0)
  t.same(text(w.write('stdout', b('dos\r\nmid\rline\r\n\r\n'))), ['dos', 'mid\rline', ''], 'the terminal shows the lines without it')
  w.close()
  const records = readFileSync(w.path, 'latin1').split('\n').slice(0, -1).map((l) => l.split(' ').slice(1).join(' '))
  t.same(records, ['stdout F dos', 'stdout F mid\rline', 'stdout F '], 'a "\\r" inside a line is kept')
  t.end()
})

t.test('a log that cannot be written (disk full) is told once and drained on: nothing throws', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // /dev/full: every write fails with ENOSPC
  symlinkSync('/dev/full', join(dir, '0.log'))
  const errors: Error[] = []
  const w = new CriLogWriter(dir, 0, (err) => errors.push(err))
  t.same(text(w.write('stdout', b('one\ntwo\n'))), ['one', 'two'], 'the terminal still gets every line')
  t.same(text(w.write('stderr', b('x'.repeat(20_000)))).map((s) => s.length), [16384])
  t.equal(String(w.end('stderr')), 'x'.repeat(20_000 - 16384))
  w.close()
  t.equal(errors.length, 1, 'one error, however many records failed')
  t.equal(errors[0].message, `write container log "${join(dir, '0.log')}"`)
  t.equal((errors[0].cause as NodeJS.ErrnoException).code, 'ENOSPC')
  t.end()
})

t.test('a log directory that cannot be made is told with its real error, and the writer still drains', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'pod'), '')
  const errors: Error[] = []
  const w = new CriLogWriter(join(dir, 'pod', 'c'), 0, (err) => errors.push(err))
  t.same(text(w.write('stdout', b('still shown\n'))), ['still shown'])
  w.close()
  t.equal(errors.length, 1)
  t.match(errors[0].message, /^open container log ".*\/pod\/c\/0\.log"$/)
  t.match((errors[0].cause as Error).message, `ENOTDIR: not a directory, mkdir '${join(dir, 'pod', 'c')}'`)
  t.end()
})

t.test('the file is made 0640 in directories made 0755, as containerd and kubelet make them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const mask = process.umask(0)
  t.teardown(() => process.umask(mask))
  const w = new CriLogWriter(join(dir, 'ns_pod_uid', 'c'), 3)
  w.close()
  t.equal(statSync(join(dir, 'ns_pod_uid')).mode & 0o777, 0o755)
  t.equal(statSync(join(dir, 'ns_pod_uid', 'c')).mode & 0o777, 0o755)
  t.equal(statSync(w.path).mode & 0o777, 0o640)
  t.end()
})

t.test('the warning says where the container\'s output still goes: the terminal, and nowhere under -q', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-cri-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  symlinkSync('/dev/full', join(dir, '0.log'))
  const warned: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string) => warned.push(chunk) > 0) as typeof write
  try {
    for (const isOutputShown of [true, false]) {
      const w = new CriLogWriter(dir, 0, warnOnStderr(isOutputShown))
      w.write('stdout', b('line\n'))
      w.close()
    }
  } finally {
    process.stderr.write = write
  }
  const failure = `podshim: warning: write container log "${join(dir, '0.log')}": ENOSPC: no space left on device, write`
  t.same(warned, [
    `${failure} (the container runs on; its output still reaches the terminal)\n`,
    `${failure} (the container runs on; with -q its output is not shown either)\n`,
  ])
  t.end()
})
