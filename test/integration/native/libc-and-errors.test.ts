// Host-side mounts through ffi-rs, and SyscallError's Node shape.

import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { MS_NODEV, MS_NOSUID } from '../../../src/native/contract'
import { MNT_DETACH, mount, umount2 } from '../../../src/native/libc'
import { SyscallError, checkErrno } from '../../../src/native/syscall-error'
import { tempDir } from './fixtures/helpers'

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some(line => line.split(' ')[4] === path)
}

t.test('mount and umount2 a tmpfs of our own', async t => {
  const dir = tempDir(t)
  t.teardown(() => {
    if (isMounted(dir)) umount2(dir, MNT_DETACH)
  })
  mount('tmpfs', dir, 'tmpfs', MS_NOSUID | MS_NODEV, 'size=1m,mode=700')
  t.ok(isMounted(dir))
  t.same(readdirSync(dir), [])
  umount2(dir, 0)
  t.notOk(isMounted(dir))
})

t.test('mount and umount2 failures are SyscallErrors with the paths', async t => {
  const dir = tempDir(t)
  const missing = join(dir, 'missing')
  t.throws(() => mount('tmpfs', missing, 'tmpfs', 0, null), {
    name: 'SyscallError',
    message: `ENOENT: no such file or directory, mount 'tmpfs' -> '${missing}'`,
    code: 'ENOENT',
    errno: -2,
    syscall: 'mount',
    path: 'tmpfs',
    dest: missing,
  })
  t.throws(() => umount2(dir, 0), { message: `EINVAL: invalid argument, umount2 '${dir}'`, code: 'EINVAL' })
})

t.test('SyscallError matches Node\'s own errors', async t => {
  let nodeErr: NodeJS.ErrnoException | undefined
  try {
    readFileSync('/nonexistent/podshim')
  } catch (err) {
    nodeErr = err as NodeJS.ErrnoException
  }
  const ours = new SyscallError('open', 2, { path: '/nonexistent/podshim' })
  t.equal(ours.message, nodeErr?.message)
  t.equal(ours.code, nodeErr?.code)
  t.equal(ours.errno, nodeErr?.errno)
  t.equal(ours.syscall, nodeErr?.syscall)
  t.equal(ours.path, nodeErr?.path)
  t.ok(ours instanceof Error)
  t.equal(new SyscallError('mount', -1, { path: 'proc', dest: '/proc' }).message, "EPERM: operation not permitted, mount 'proc' -> '/proc'")
  t.equal(new SyscallError('clone3', 38).message, 'ENOSYS: function not implemented, clone3')
  t.equal(new SyscallError('waitid', 10).code, 'ECHILD')
  t.equal(new SyscallError('x', 200).code, 'Unknown system error -200')
})

t.test('checkErrno passes results through and throws on -errno', async t => {
  t.same(checkErrno([3, 4], 'pipe2'), [3, 4])
  t.equal(checkErrno(0, 'close'), 0)
  t.throws(() => checkErrno(-9, 'close'), { message: 'EBADF: bad file descriptor, close' })
})
