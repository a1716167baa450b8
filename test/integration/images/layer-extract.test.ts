// Layer extraction as root against hostile and honest tars: every abuse is
// refused with the entry named, and nothing outside the layer root changes.
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { extractLayerFile, extractTar } from '../../../src/images/layer-extract'
import { lgetxattr } from '../../../src/images/libc-fs'
import { buildTar, buildTarGz, chunked, sha256, type FixtureEntry } from '../../unit/images/fixtures/tar-builder'

type Test = { teardown(fn: () => void): void }

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-layer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** a sandbox dir holding the layer root `root/` and a bystander file the layer must never touch */
function setup(t: Test): { root: string; outside: string; base: string } {
  const base = tempDir(t)
  const root = join(base, 'a', 'b', 'root')
  require('node:fs').mkdirSync(root, { recursive: true })
  const outside = join(base, 'outside')
  writeFileSync(outside, 'untouched')
  return { root, outside, base }
}

const extract = (entries: FixtureEntry[], root: string): Promise<number> => extractTar(chunked(buildTar(entries), 333), root)

t.test('keeps modes, setuid bits, ownership, links, devices and xattrs', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root } = setup(t)
  await extract([
    { name: './', type: '5', mode: 0o755 },
    { name: 'bin/', type: '5', mode: 0o755, mtime: 1600000000 },
    { name: 'bin/su', data: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0 },
    { name: 'bin/ping', data: 'p', mode: 0o755, pax: { 'SCHILY.xattr.user.podshim': 'cap' } },
    { name: 'home/user/', type: '5', mode: 0o2750, uid: 1000, gid: 1001 },
    { name: 'home/user/f', data: 'data', mode: 0o600, uid: 1000, gid: 1001 },
    { name: 'bin/sh', type: '2', linkName: 'busybox' },
    { name: 'bin/su2', type: '1', linkName: 'bin/su' },
    { name: 'dev/null', type: '3', devMajor: 1, devMinor: 3, mode: 0o666 },
    { name: 'run/fifo', type: '6', mode: 0o644 },
  ], root)
  t.equal(statSync(join(root, 'bin/su')).mode & 0o7777, 0o4755)
  t.equal(statSync(join(root, 'home/user')).mode & 0o7777, 0o2750)
  t.same([statSync(join(root, 'home/user/f')).uid, statSync(join(root, 'home/user/f')).gid], [1000, 1001])
  t.equal(readlinkSync(join(root, 'bin/sh')), 'busybox')
  t.equal(statSync(join(root, 'bin/su2')).ino, statSync(join(root, 'bin/su')).ino)
  t.equal(statSync(join(root, 'dev/null')).rdev, 259)
  t.ok(lstatSync(join(root, 'run/fifo')).isFIFO())
  t.equal(lgetxattr(join(root, 'bin/ping'), 'user.podshim')?.toString(), 'cap')
  t.equal(statSync(join(root, 'bin')).mtimeMs, 1600000000 * 1000)
})

t.test('converts whiteouts and opaque dirs to overlayfs form', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root } = setup(t)
  await extract([
    { name: 'etc/.wh.motd', data: '' },
    { name: 'var/cache/.wh..wh..opq', data: '' },
    { name: 'var/cache/new', data: 'n' },
    { name: 'x/.wh..wh.plnk', data: '' },
  ], root)
  const whiteout = lstatSync(join(root, 'etc/motd'))
  t.ok(whiteout.isCharacterDevice())
  t.equal(whiteout.rdev, 0)
  t.notOk(existsSync(join(root, 'etc/.wh.motd')))
  t.equal(lgetxattr(join(root, 'var/cache'), 'trusted.overlay.opaque')?.toString(), 'y')
  t.equal(readFileSync(join(root, 'var/cache/new'), 'utf8'), 'n')
  t.notOk(existsSync(join(root, 'x/.wh..wh.plnk')))
})

const HOSTILE: [string, FixtureEntry[], string, RegExp][] = [
  ['a ".." name', [{ name: '../../../outside', data: 'pwned' }], '../../../outside', /"\.\." are not allowed/],
  ['a nested ".." name', [{ name: 'ok/../../x', data: 'pwned' }], 'ok/../../x', /"\.\." are not allowed/],
  ['an absolute name', [{ name: '/etc/podshim-pwned', data: 'pwned' }], '/etc/podshim-pwned', /absolute/],
  ['a write through a symlink out of the root', [{ name: 'up', type: '2', linkName: '../../..' }, { name: 'up/outside', data: 'pwned' }], 'up/outside', /out of the layer root/],
  ['a write through a chain of symlinks', [{ name: 'a', type: '2', linkName: 'b/..' }, { name: 'b', type: '2', linkName: '..' }, { name: 'a/x', data: 'p' }], 'a/x', /out of the layer root/],
  ['a hard link to an absolute path', [{ name: 'pw', type: '1', linkName: '/etc/passwd' }], 'pw', /absolute hard link targets/],
  ['a hard link with ".."', [{ name: 'pw', type: '1', linkName: '../../../outside' }], 'pw', /hard link targets .* with "\.\."/],
  ['a hard link through a symlink out of the root', [{ name: 'up', type: '2', linkName: '../../..' }, { name: 'pw', type: '1', linkName: 'up/outside' }], 'pw', /out of the layer root/],
  ['a hard link to a missing entry', [{ name: 'pw', type: '1', linkName: 'nothing' }], 'pw', /does not exist in the layer/],
  ['a whiteout through a symlink out of the root', [{ name: 'up', type: '2', linkName: '/../..' }, { name: 'up/.wh.outside', data: '' }], 'up/.wh.outside', /out of the layer root/],
  ['a symlink loop', [{ name: 'l', type: '2', linkName: 'l' }, { name: 'l/x', data: '' }], 'l/x', /too many levels/],
  ['a sparse file', [{ name: 'sparse', type: 'S', data: '' }], 'sparse', /type "S" is not supported/],
]

for (const [what, entries, entry, message] of HOSTILE) {
  t.test(`refuses ${what}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const { root, outside, base } = setup(t)
    await t.rejects(extract(entries, root), { name: 'LayerEntryError', entry, message })
    t.equal(readFileSync(outside, 'utf8'), 'untouched')
    t.notOk(existsSync('/etc/podshim-pwned'))
    t.notOk(existsSync(join(base, 'a', 'x')))
  })
}

t.test('resolves absolute symlinks against the layer root', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root } = setup(t)
  await extract([{ name: 'etc', type: '2', linkName: '/real-etc' }, { name: 'real-etc/', type: '5' }, { name: 'etc/podshim-test', data: 'inside' }], root)
  t.equal(readFileSync(join(root, 'real-etc/podshim-test'), 'utf8'), 'inside')
  t.notOk(existsSync('/etc/podshim-test'))
})

t.test('replaces a symlink entry instead of writing through it', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root, outside } = setup(t)
  await extract([{ name: 'f', type: '2', linkName: outside }, { name: 'f', data: 'replaced' }], root)
  t.equal(readFileSync(outside, 'utf8'), 'untouched')
  t.ok(lstatSync(join(root, 'f')).isFile())
  t.equal(readFileSync(join(root, 'f'), 'utf8'), 'replaced')
})

t.test('extracts a gzip layer file and returns its diff ID', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root, base } = setup(t)
  const entries = [{ name: 'hello', data: 'world' }]
  writeFileSync(join(base, 'layer.tgz'), buildTarGz(entries))
  t.equal(await extractLayerFile(join(base, 'layer.tgz'), root), sha256(buildTar(entries)))
  t.equal(readFileSync(join(root, 'hello'), 'utf8'), 'world')
})

t.test('sets directory times without following a symlink that later replaced a parent', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const { root, base } = setup(t)
  const victim = join(base, 'victim')
  require('node:fs').mkdirSync(victim)
  const before = statSync(victim).mtimeMs
  // 'a/victim' is a directory when it is made; 'a' then becomes a link to the host directory holding a victim
  await extract([
    { name: 'a/', type: '5' },
    { name: 'a/victim/', type: '5', mtime: 1000 },
    { name: 'a', type: '2', linkName: base },
    { name: 'd/', type: '5', mtime: 1000 },
    { name: 'd', data: 'a file now', mtime: 1600000000 },
  ], root)
  t.equal(statSync(victim).mtimeMs, before, 'the host directory keeps its time')
  t.equal(readlinkSync(join(root, 'a')), base)
  t.equal(statSync(join(root, 'd')).mtimeMs, 1600000000 * 1000, 'a directory replaced by a file keeps the file\'s time')
})
