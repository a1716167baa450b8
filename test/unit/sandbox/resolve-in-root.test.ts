import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { resolveInRoot } from '../../../src/sandbox/resolve-in-root'

t.test('symlinks are followed as inside the root: absolute ones from it, .. never above it', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'podshim-resolve-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'etc'))
  mkdirSync(join(root, 'usr/lib'), { recursive: true })
  writeFileSync(join(root, 'etc/hosts'), '')
  symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(root, 'etc/resolv.conf'))
  symlinkSync('/usr/lib', join(root, 'lib'))
  symlinkSync('../../../../../tmp/outside', join(root, 'etc/climb'))
  symlinkSync('/etc/escape', join(root, 'etc/abs'))
  symlinkSync('loop-b', join(root, 'etc/loop-a'))
  symlinkSync('loop-a', join(root, 'etc/loop-b'))

  t.equal(resolveInRoot(root, '/etc/hosts'), '/etc/hosts', 'a plain file')
  t.equal(resolveInRoot(root, '/etc/resolv.conf'), '/run/systemd/resolve/stub-resolv.conf', 'a dangling relative link: where it leads')
  t.equal(resolveInRoot(root, '/lib/x/y'), '/usr/lib/x/y', 'an absolute link starts again at the root')
  t.equal(resolveInRoot(root, '/etc/climb'), '/tmp/outside', '.. stops at the root')
  t.equal(resolveInRoot(root, '/etc/abs'), '/etc/escape')
  t.equal(resolveInRoot(root, '/missing/../etc/hosts'), '/etc/hosts', 'lexical .. first, as the path was normalised')
  t.throws(() => resolveInRoot(root, '/etc/loop-a'), { code: 'ELOOP' })
})
