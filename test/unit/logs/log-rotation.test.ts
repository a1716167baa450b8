import t from 'tap'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { CriLogWriter } from '../../../src/logs/cri-log'
import { LOG_MAX_BYTES, compressionsDone, nextRestartCount, removeOldInstanceLogs, rotateLog, rotationStamp } from '../../../src/logs/log-rotation'

t.test('kubelet\'s rotation stamp, UTC', async (t) => {
  t.equal(rotationStamp(new Date(Date.UTC(2026, 10, 3, 4, 5, 6))), '20261103-040506')
})

t.test('rotation: renamed with its time, the older rotated ones gzipped, at most 5 files with the current one', async (t) => {
  const dir = t.testdir({})
  const log = join(dir, '0.log')
  const errors: Error[] = []
  for (let i = 0; i < 6; i++) {
    writeFileSync(log, `log ${i}\n`)
    rotateLog(log, new Date(Date.UTC(2026, 10, 3, 4, 5, i)), (err) => errors.push(err))
    writeFileSync(log, 'current\n')
  }
  await compressionsDone()
  t.same(readdirSync(dir).sort(), ['0.log', '0.log.20261103-040502.gz', '0.log.20261103-040503.gz', '0.log.20261103-040504.gz', '0.log.20261103-040505'])
  t.equal(String(gunzipSync(readFileSync(join(dir, '0.log.20261103-040504.gz')))), 'log 4\n', 'the gzip holds the rotated log')
  t.equal(readFileSync(join(dir, '0.log.20261103-040505'), 'utf8'), 'log 5\n', 'the newest rotated log stays plain, as kubelet leaves it')
  t.same(errors, [])
})

t.test('the writer rotates past 10Mi, and again only after kubelet\'s 10 s period', async (t) => {
  const dir = t.testdir({})
  const writer = new CriLogWriter(dir, 0, (err) => t.fail(err.message))
  const line = Buffer.from(`${'x'.repeat(1023)}\n`)
  const lines = Math.ceil(LOG_MAX_BYTES / 1024) + 1
  for (let i = 0; i < lines; i++) writer.write('stdout', line)
  t.equal(readdirSync(dir).length, 2, 'one rotation')
  for (let i = 0; i < lines; i++) writer.write('stdout', line)
  writer.close()
  const files = readdirSync(dir).sort()
  t.equal(files.length, 2, 'not again within the period: the current log grows past the limit meanwhile')
  t.match(files[1], /^0\.log\.\d{8}-\d{6}$/)
  t.ok(readFileSync(join(dir, files[0])).length > LOG_MAX_BYTES, 'the current log')
  t.ok(readFileSync(join(dir, files[1])).length > LOG_MAX_BYTES, 'the rotated one, a record past the limit')
})

t.test('container GC: an instance\'s start leaves the logs of itself and the one before, rotated ones included', async (t) => {
  const dir = t.testdir({ '0.log': 'a', '0.log.20261103-040500.gz': 'a', '1.log': 'b', '2.log': 'c', '10.log': 'old?', 'other': 'x' })
  removeOldInstanceLogs(dir, 3)
  t.same(readdirSync(dir).sort(), ['10.log', '2.log', 'other'])
  const writer = new CriLogWriter(dir, 12)
  writer.close()
  t.same(readdirSync(dir).sort(), ['12.log', 'other'], 'the writer of instance 12 removes 10 and older')
  t.notOk(existsSync(join(dir, '11.log')))
  removeOldInstanceLogs(join(dir, 'missing'), 5)
})

t.test('kubelet\'s calcRestartCountByLogDir: one past the highest instance with a log, rotated ones counted', async (t) => {
  t.equal(nextRestartCount(join(t.testdir({}), 'missing')), 0)
  t.equal(nextRestartCount(t.testdir({ other: 'x' })), 0)
  t.equal(nextRestartCount(t.testdir({ '0.log': 'a', '3.log.20261103-040500.gz': 'b', '2.log': 'c', 'x.log': 'd' })), 4)
})

t.test('past the limit within a period, the log is rotated at the period\'s end without another write', async (t) => {
  const dir = t.testdir({})
  const writer = new CriLogWriter(dir, 0, (err) => t.fail(err.message), 300)
  t.teardown(() => writer.close())
  const line = Buffer.from(`${'y'.repeat(1023)}\n`)
  const lines = Math.ceil(LOG_MAX_BYTES / 1024) + 1
  for (let i = 0; i < lines; i++) writer.write('stdout', line)
  t.equal(readdirSync(dir).length, 2, 'the first rotation at once')
  for (let i = 0; i < lines; i++) writer.write('stdout', line)
  t.equal(readdirSync(dir).length, 2, 'within the period: not yet')
  // stamps have whole seconds: the second rotation's name must differ from the first's
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal(readdirSync(dir).filter((f) => f !== '0.log').length, 2, 'rotated again at the period\'s end, the container silent meanwhile')
  await compressionsDone()
})
