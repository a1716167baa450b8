import t, { type Test } from 'tap'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { makeDirs } from '../../src/make-dirs'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-make-dirs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('makes every missing level with the mode, and takes the ones there', async (t) => {
  const dir = tempDir(t)
  const deep = join(dir, 'a', 'b', 'c')
  const umask = process.umask(0)
  try {
    makeDirs(deep, 0o750)
    makeDirs(deep, 0o750)
  } finally {
    process.umask(umask)
  }
  t.equal(statSync(join(dir, 'a')).mode & 0o777, 0o750)
  t.equal(statSync(deep).mode & 0o777, 0o750)
})

t.test('an ancestor that fails names its own errno, not ENOENT for the last path', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'file'), '')
  t.throws(() => makeDirs(join(dir, 'file', 'x', 'y'), 0o755), { code: 'ENOTDIR', path: join(dir, 'file', 'x') })
})
