import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'

import { imageUsers, isExecutableIn } from '../../../src/sandbox/image-lookup'

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
  t.same(imageUsers(root).byName('app'), { name: 'app', uid: 1234, gid: 5678, home: '/home/app' })
  t.equal(imageUsers(root).byName('nobody-here'), undefined)
})

t.test("the image's passwd by uid, and the /etc/group groups that list a user", async (t) => {
  const root = imageRoot(t)
  writeFileSync(join(root, 'etc/passwd'), [
    'root:x:0:0:root:/root:/bin/sh', 'bad:x:notanumber:1::/x:/bin/sh', 'dev:x:1000:1000::/home/dev:/bin/sh', 'dev2:x:1000:7::/other:/bin/sh', '',
  ].join('\n'))
  writeFileSync(join(root, 'etc/group'), [
    'root:x:0:', 'wheel:x:10:root,dev', 'dev:x:1000:dev', 'audio:x:29: dev ', 'video:x:44:other', '',
  ].join('\n'))
  const users = imageUsers(root)
  t.same(users.byUid(1000), { name: 'dev', uid: 1000, gid: 1000, home: '/home/dev' }, 'the first entry of a uid')
  t.equal(users.byUid(4242), undefined)
  t.same(users.memberGroups('dev'), [10, 29], "the groups listing it, not the one named after it (containerd's WithAdditionalGIDs)")
  t.same(users.memberGroups('root'), [10])
  t.equal(users.groupByName('video'), 44)
  t.equal(users.groupByName('none'), undefined)
  const empty = imageRoot(t)
  t.equal(imageUsers(empty).byUid(0), undefined, 'an image without /etc/passwd has no entries')
  t.same(imageUsers(empty).memberGroups('root'), [])
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
