// A subPath through symlinks, as kubelet decides it (EvalSymlinks of the
// volume and of the subPath, the result inside the volume): a symlink that
// resolves inside the volume is followed, an absolute one only where it
// names the volume's own host path, and one that leads out is refused
// without anything made outside. openInside directly, on temp directories.

import t, { type Test } from 'tap'
import { closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { openInside } from '../../../src/sandbox/subpath'
import { VolumeError } from '../../../src/sandbox/volume-error'

/** A volume with conf/file, next to a directory outside it; removed at teardown. */
function fixture(t: Test): { volume: string; outside: string } {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-subpath-links-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const volume = join(dir, 'volume')
  const outside = join(dir, 'outside')
  mkdirSync(join(volume, 'conf'), { recursive: true })
  writeFileSync(join(volume, 'conf', 'file'), 'x')
  mkdirSync(outside)
  return { volume, outside }
}

/** Where openInside's fd leads, closed after. */
function opened(volume: string, sub: string): string {
  const fd = openInside(volume, sub, 'volumeMounts[0].subPath')
  try {
    return readlinkSync(`/proc/self/fd/${fd}`)
  } finally {
    closeSync(fd)
  }
}

t.test('a symlink that resolves inside the volume is followed', async (t) => {
  const { volume } = fixture(t)
  symlinkSync('conf', join(volume, 'link'))
  symlinkSync('../conf/file', join(volume, 'conf', 'self-file'))
  mkdirSync(join(volume, 'a', 'b'), { recursive: true })
  symlinkSync('../../conf', join(volume, 'a', 'b', 'up'))
  symlinkSync('link', join(volume, 'chain'))
  symlinkSync('.', join(volume, 'dot'))
  t.equal(opened(volume, 'link'), join(volume, 'conf'), 'link -> conf')
  t.equal(opened(volume, 'link/file'), join(volume, 'conf/file'), 'through it to a file')
  t.equal(opened(volume, 'conf/self-file'), join(volume, 'conf/file'), 'a link to a file, with ".." in its target')
  t.equal(opened(volume, 'a/b/up'), join(volume, 'conf'), '"../.." that stays inside')
  t.equal(opened(volume, 'chain/file'), join(volume, 'conf/file'), 'a link to a link')
  t.equal(opened(volume, 'dot'), volume, 'a link to the volume itself')
  t.equal(opened(volume, 'link/made/here'), join(volume, 'conf/made/here'), 'missing directories are made where the link leads')
  t.ok(existsSync(join(volume, 'conf/made/here')))
})

t.test('an absolute symlink is the host\'s path: inside only when it names the volume\'s own host path', async (t) => {
  const { volume, outside } = fixture(t)
  symlinkSync(join(volume, 'conf'), join(volume, 'abs-in'))
  symlinkSync(volume, join(volume, 'abs-root'))
  symlinkSync('/conf', join(volume, 'abs-rooted'))
  symlinkSync(outside, join(volume, 'abs-out'))
  symlinkSync(`${volume}/../outside`, join(volume, 'abs-up'))
  t.equal(opened(volume, 'abs-in/file'), join(volume, 'conf/file'), 'into the volume\'s host path')
  t.equal(opened(volume, 'abs-root'), volume, 'the volume\'s host path itself')
  for (const sub of ['abs-rooted', 'abs-out', 'abs-out/new', 'abs-up', 'abs-up/new']) {
    t.throws(() => opened(volume, sub), { name: 'VolumeError', message: /^volumeMounts\[0\]\.subPath: .*symlink.*outside the volume/ }, `${sub}: refused`)
  }
  t.same(readdirSync(outside), [], 'nothing was made outside the volume')
})

t.test('a relative symlink out of the volume is refused, and nothing is made outside', async (t) => {
  const { volume, outside } = fixture(t)
  symlinkSync('../outside', join(volume, 'out'))
  symlinkSync('conf/../../outside', join(volume, 'out2'))
  symlinkSync('../../..', join(volume, 'conf', 'deep'))
  for (const sub of ['out', 'out/new/dir', 'out2', 'conf/deep/etc']) {
    t.throws(() => opened(volume, sub), { name: 'VolumeError', message: /^volumeMounts\[0\]\.subPath: a symlink leads outside the volume/ }, `${sub}: refused`)
  }
  t.same(readdirSync(outside), [], 'nothing was made outside the volume')
})

t.test('a dangling symlink is refused, as kubelet refuses it (no directory is made where a link leads)', async (t) => {
  const { volume } = fixture(t)
  symlinkSync('missing', join(volume, 'dangling'))
  t.throws(() => opened(volume, 'dangling'), { name: 'VolumeError', message: /symlink leads to "missing", which does not exist/ })
  t.notOk(existsSync(join(volume, 'missing')), 'nothing was made')
})

t.test('a symlink loop is refused', async (t) => {
  const { volume } = fixture(t)
  symlinkSync('loop-b', join(volume, 'loop-a'))
  symlinkSync('loop-a', join(volume, 'loop-b'))
  t.throws(() => opened(volume, 'loop-a'), { name: 'VolumeError', message: /too many levels of symbolic links/ })
})

t.test('".." and absolute subPaths are still refused before any walk', async (t) => {
  const { volume } = fixture(t)
  for (const sub of ['../outside', 'conf/../..', '/etc']) {
    t.throws(() => opened(volume, sub), VolumeError, sub)
  }
})

t.test('a missing volume directory names the field', async (t) => {
  const { volume } = fixture(t)
  t.throws(() => opened(join(volume, 'nope'), 'x'), { name: 'VolumeError', message: /^volumeMounts\[0\]\.subPath: open the volume's directory/ })
})
