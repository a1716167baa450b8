import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { removeTree } from '../../src/remove-tree'

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-remove-tree-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('a tree of files, directories and symlinks goes; what the symlinks point to stays', async (t) => {
  const dir = scratch(t)
  const outside = join(dir, 'outside')
  mkdirSync(outside)
  writeFileSync(join(outside, 'keep'), 'x')
  const tree = join(dir, 'tree')
  mkdirSync(join(tree, 'a', 'b', 'c'), { recursive: true })
  mkdirSync(join(tree, 'empty'))
  writeFileSync(join(tree, 'a', 'f'), 'x')
  writeFileSync(join(tree, 'a', 'b', 'c', 'g'), 'x')
  symlinkSync(outside, join(tree, 'a', 'link-to-dir'))
  symlinkSync('/nonexistent', join(tree, 'dangling'))
  removeTree(tree)
  t.notOk(existsSync(tree))
  t.same(readdirSync(outside), ['keep'], 'a symlinked directory is not followed')
})

t.test('a missing path is not an error; a file is removed', async (t) => {
  const dir = scratch(t)
  removeTree(join(dir, 'nope'))
  writeFileSync(join(dir, 'file'), 'x')
  removeTree(join(dir, 'file'))
  t.same(readdirSync(dir), [])
})

t.test('a mount point inside is refused, its content untouched', { skip: process.getuid?.() !== 0 && 'needs root to mount a tmpfs' }, async (t) => {
  const dir = scratch(t)
  const mnt = join(dir, 'tree', 'mnt')
  mkdirSync(mnt, { recursive: true })
  // in a private mount namespace of a child (dist/'s build of the module), so nothing is ever left mounted on the host
  const script = `mount -t tmpfs none ${mnt} && touch ${mnt}/theirs && node -e "
    try { require(process.argv[1]).removeTree(process.argv[2]); console.log('removed') } catch (e) { console.log(e.code, e.message) }
    console.log(require('fs').existsSync(process.argv[3]))" ${JSON.stringify(require.resolve('../../dist/remove-tree.js'))} ${join(dir, 'tree')} ${mnt}/theirs`
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /^EBUSY remove .*\/tree\/mnt: a mount point, left as it is\ntrue\n$/)
})
