// kubelet's AtomicWriter layout: files in a hidden timestamped directory, a
// `..data` link to it, one link per top-level name; modes exactly as given;
// AtomicWriter's own path checks and messages.
import t, { type Test } from 'tap'
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { payloadPathProblem, timestampDirPrefix, writePayload, type FileProjection } from '../../../src/sandbox/atomic-writer'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-atomic-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const file = (text: string, mode = 0o644): FileProjection => ({ data: Buffer.from(text), mode })

t.test('the timestamped directory is named as Go formats "..2006_01_02_15_04_05." in UTC', async (t) => {
  t.equal(timestampDirPrefix(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), '..2026_01_02_03_04_05.')
  t.equal(timestampDirPrefix(new Date(Date.UTC(1999, 11, 31, 23, 59, 59))), '..1999_12_31_23_59_59.')
})

t.test('layout: ..data links to the timestamped directory; each top-level name links into ..data', async (t) => {
  const dir = tempDir(t)
  const old = process.umask(0o077)
  let ts: string
  try {
    ts = writePayload(dir, new Map([
      ['a', file('A', 0o400)],
      ['sub/b', file('B', 0o644)],
      ['sub/deeper/c', file('C', 0o600)],
      ['./d//e', file('E', 0o755)],
    ]), new Date(Date.UTC(2026, 10, 23, 14, 5, 6)))
  } finally {
    process.umask(old)
  }
  t.match(ts, /^\.\.2026_11_23_14_05_06\.\d+$/)
  t.same(readdirSync(dir).sort(), [ts, '..data', 'a', 'd', 'sub'].sort(), 'no ..data_tmp left, nothing else')
  t.equal(readlinkSync(join(dir, '..data')), ts)
  t.equal(readlinkSync(join(dir, 'a')), '..data/a')
  t.equal(readlinkSync(join(dir, 'sub')), '..data/sub', 'one link for a directory, not one per file in it')
  t.equal(readlinkSync(join(dir, 'd')), '..data/d', 'paths are cleaned as filepath.Clean does')
  t.equal(readFileSync(join(dir, 'sub/deeper/c'), 'utf8'), 'C')
  t.equal(readFileSync(join(dir, 'd/e'), 'utf8'), 'E')
  const mode = (path: string): number => lstatSync(join(dir, ts, path)).mode & 0o7777
  t.equal(mode('a'), 0o400, 'the mode as given, whatever the umask')
  t.equal(mode('sub/deeper/c'), 0o600)
  t.equal(mode('d/e'), 0o755)
  t.equal(mode('.'), 0o755, 'the timestamped directory is 0755')
  t.equal(mode('sub'), 0o755, 'directories in it too, whatever the umask')
  t.equal(mode('sub/deeper'), 0o755)
})

t.test('an empty payload still gets its ..data', async (t) => {
  const dir = tempDir(t)
  const ts = writePayload(dir, new Map())
  t.same(readdirSync(dir).sort(), [ts, '..data'].sort())
  t.same(readdirSync(join(dir, '..data')), [])
})

t.test('a directory already at a top-level name (a nested mount point) stays; setPerms runs before the links', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'nested'))
  let seen: string[] = []
  writePayload(dir, new Map([['nested', file('hidden')], ['x', file('X')]]), new Date(), () => { seen = readdirSync(dir) })
  t.ok(lstatSync(join(dir, 'nested')).isDirectory(), 'not replaced by a link')
  t.equal(readlinkSync(join(dir, 'x')), '..data/x')
  t.notOk(seen.includes('..data') || seen.includes('x'), 'no link yet when setPerms ran', { seen })
})

t.test('AtomicWriter\'s path checks, with its messages', async (t) => {
  t.equal(payloadPathProblem(''), 'invalid path: must not be empty: ""')
  t.equal(payloadPathProblem('/etc/x'), 'invalid path: must be relative path: /etc/x')
  t.equal(payloadPathProblem('a/../b'), "invalid path: must not contain '..': a/../b")
  t.equal(payloadPathProblem('..data'), "invalid path: must not start with '..': ..data")
  t.equal(payloadPathProblem('x'.repeat(256)), 'invalid path: filenames must be less than or equal to 255 characters')
  t.equal(payloadPathProblem(`${'d/'.repeat(2048)}x`), 'invalid path: must be less than or equal to 4096 characters')
  t.equal(payloadPathProblem('..'), "invalid path: must not contain '..': ..")
  t.equal(payloadPathProblem(`${'x'.repeat(255)}/.a/..b`), null, '255 bytes, and names that merely start with dots below the top')
  const dir = tempDir(t)
  t.throws(() => writePayload(dir, new Map([['ok', file('')], ['..x', file('')]])), { message: "invalid path: must not start with '..': ..x" })
  t.same(readdirSync(dir), [], 'nothing written when one path is invalid')
})
