import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lastBytes, terminationMessage } from '../../../src/logs/termination-message'

const T = '2024-01-02T03:04:05.000000000Z'

function files(t: Test): { file: string; log: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-tmsg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const log = join(dir, '0.log')
  writeFileSync(log, `${T} stdout F from the log\n${T} stderr F and stderr\n`)
  return { file: join(dir, 'termination-log'), log, dir }
}

t.test('the file wins whenever it has content', (t) => {
  const { file, log } = files(t)
  writeFileSync(file, 'bye')
  for (const hasFailed of [false, true]) {
    t.equal(terminationMessage({ file, fallbackLog: log, hasFailed }), 'bye')
    t.equal(terminationMessage({ file, fallbackLog: null, hasFailed }), 'bye')
  }
  t.end()
})

t.test('FallbackToLogsOnError: an empty or missing file and a failure give the log tail', (t) => {
  const { file, log } = files(t)
  writeFileSync(file, '')
  t.equal(terminationMessage({ file, fallbackLog: log, hasFailed: true }), 'from the log\nand stderr\n')
  t.equal(terminationMessage({ file: `${file}-missing`, fallbackLog: log, hasFailed: true }), 'from the log\nand stderr\n')
  t.equal(terminationMessage({ file, fallbackLog: log, hasFailed: false }), '', 'not on success')
  t.equal(terminationMessage({ file, fallbackLog: null, hasFailed: true }), '', 'never with the File policy')
  t.end()
})

t.test('a read error becomes the message, as kubelet makes it', (t) => {
  const { file, dir } = files(t)
  writeFileSync(file, '')
  t.match(terminationMessage({ file, fallbackLog: join(dir, 'none.log'), hasFailed: true }), /^Error on reading termination message from logs: ENOENT/)
  const asDir = join(dir, 'a-dir')
  mkdirSync(asDir)
  t.match(terminationMessage({ file: asDir, fallbackLog: null, hasFailed: true }), /^Error on reading termination log .*a-dir: EISDIR/)
  t.end()
})

t.test('lastBytes reads only the end of a big file', (t) => {
  const { file } = files(t)
  writeFileSync(file, 'a'.repeat(10000) + 'END')
  t.equal(lastBytes(file, 4096), 'a'.repeat(4093) + 'END')
  t.equal(lastBytes(`${file}.none`, 4096), '')
  t.end()
})
