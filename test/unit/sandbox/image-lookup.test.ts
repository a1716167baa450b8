import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

import { isExecutableIn, userLookup } from '../../../src/sandbox/image-lookup'

function imageRoot(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'podshim-lookup-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'etc'))
  mkdirSync(join(root, 'bin'))
  mkdirSync(join(root, 'opt'))
  return root
}

t.test("an image's /etc/passwd that is an absolute symlink is read inside the image, not on the host", async (t) => {
  const root = imageRoot(t)
  // a name the host has no file at: read on the host, the link would lead nowhere
  const users = `/etc/podshim-users-${basename(root)}`
  t.notOk(existsSync(users))
  writeFileSync(join(root, users), 'root:x:0:0::/root:/bin/sh\napp:x:1234:5678::/home/app:/bin/sh\n')
  symlinkSync(users, join(root, 'etc/passwd'))
  t.same(userLookup(root)('app'), [1234, 5678])
  t.equal(userLookup(root)('nobody-here'), undefined)
})

t.test('an executable reached through an absolute symlink is the image\'s file', async (t) => {
  const root = imageRoot(t)
  const real = `/opt/podshim-tool-${basename(root)}`
  t.notOk(existsSync(real))
  writeFileSync(join(root, real), '#!/bin/sh\n')
  chmodSync(join(root, real), 0o755)
  symlinkSync(real, join(root, 'bin/tool'))
  symlinkSync('/opt', join(root, 'bin/dir'))
  writeFileSync(join(root, 'opt/plain'), '')
  t.equal(isExecutableIn(root)('/bin/tool'), true)
  t.equal(isExecutableIn(root)('/bin/dir'), false, 'a directory is not')
  t.equal(isExecutableIn(root)('/opt/plain'), false, 'a file without x is not')
  t.equal(isExecutableIn(root)('/bin/missing'), false)
})
