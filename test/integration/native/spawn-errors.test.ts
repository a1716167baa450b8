// A child's failure before execve reaches TypeScript as data and becomes a
// Node-shaped SyscallError naming the syscall and path; the failed child is
// reaped, and an exec failure never looks like a program that exited.

import { closeSync, openSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { nativeApi } from '../../../src/native/addon'
import { CLONE_NEWNS, MS_PRIVATE, MS_REC, PlanOpCode, SpawnStage } from '../../../src/native/contract'
import { SpawnError, syscallErrorFromSpawn } from '../../../src/native/spawn-error'
import { SyscallError } from '../../../src/native/syscall-error'
import { childrenOfThisProcess, execve, plan, runCaptured, tempDir } from './fixtures/helpers'

function spawnFailure(spawnPlan: ReturnType<typeof plan>): SpawnError {
  try {
    const spawned = nativeApi.spawn(spawnPlan)
    nativeApi.signal(spawned.pidfd, 9)
    nativeApi.close(spawned.pidfd)
  } catch (err) {
    if (err instanceof SpawnError) return err
    throw err
  }
  throw new Error('spawn succeeded where it should have failed')
}

t.test('exec of a missing file is ENOENT from execve, in Node\'s format', async t => {
  const err = spawnFailure(plan([{ op: PlanOpCode.CloseFrom, fd: 3 }, execve('/bin/nope', ['nope'])]))
  t.equal(err.opIndex, 1)
  t.equal(err.errno, 2)
  const sysErr = syscallErrorFromSpawn(err)
  t.ok(sysErr instanceof SyscallError)
  t.equal(sysErr.message, "ENOENT: no such file or directory, execve '/bin/nope'")
  t.equal(sysErr.code, 'ENOENT')
  t.equal(sysErr.errno, -2)
  t.equal(sysErr.syscall, 'execve')
  t.equal(sysErr.path, '/bin/nope')
  t.equal(sysErr.cause, err)
})

t.test('exec of a directory is EACCES', async t => {
  const err = spawnFailure(plan([execve('/', ['x'])]))
  t.equal(syscallErrorFromSpawn(err).message, "EACCES: permission denied, execve '/'")
})

t.test('a bad cwd names chdir and the path', async t => {
  const dir = tempDir(t)
  const missing = join(dir, 'missing')
  const err = spawnFailure(plan([{ op: PlanOpCode.Chdir, path: missing }, execve('/bin/true', ['true'])]))
  t.equal(err.opIndex, 0)
  t.equal(syscallErrorFromSpawn(err).message, `ENOENT: no such file or directory, chdir '${missing}'`)
})

t.test('a failed mknod names mknod and the path; a node it makes has exactly the mode and owner asked', async t => {
  const dir = tempDir(t)
  const missing = join(dir, 'missing', 'null')
  const err = spawnFailure(plan([
    { op: PlanOpCode.Mknod, path: missing, mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    execve('/bin/true', ['true']),
  ]))
  t.equal(err.opIndex, 0)
  t.equal(syscallErrorFromSpawn(err).message, `ENOENT: no such file or directory, mknod '${missing}'`)
  const made = join(dir, 'null')
  const [status] = await runCaptured(t, [
    { op: PlanOpCode.Mknod, path: made, mode: 0o20606, major: 1, minor: 3, uid: 65534, gid: 65534 },
    execve('/bin/true', ['true']),
  ])
  t.equal(status.code, 0)
  const st = statSync(made)
  t.ok(st.isCharacterDevice())
  t.same([st.mode & 0o7777, st.uid, st.gid, st.rdev], [0o606, 65534, 65534, 0x103], 'mode with no umask, owner, 1:3')
})

t.test('a failed mount names source and target', async t => {
  const dir = tempDir(t)
  const err = spawnFailure(plan([
    { op: PlanOpCode.Mount, source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE, data: null },
    { op: PlanOpCode.Mount, source: 'nothing', target: dir, fstype: 'no-such-fs', flags: 0, data: null },
    execve('/bin/true', ['true']),
  ], { cloneFlags: CLONE_NEWNS }))
  t.equal(err.opIndex, 1)
  t.equal(syscallErrorFromSpawn(err).message, `ENODEV: no such device, mount 'nothing' -> '${dir}'`)
})

t.test('joining a PID namespace through a non-namespace fd fails at the setns stage', async t => {
  const fd = openSync('/dev/null', 'r')
  t.teardown(() => closeSync(fd))
  const err = spawnFailure(plan([execve('/bin/true', ['true'])], { pidNsFd: fd }))
  t.equal(err.opIndex, SpawnStage.SetnsPid)
  t.equal(err.op, undefined)
  t.equal(syscallErrorFromSpawn(err).message, 'EINVAL: invalid argument, setns')
})

t.test('a Setns op with a label uses it as the path', async t => {
  const fd = openSync('/dev/null', 'r')
  t.teardown(() => closeSync(fd))
  const err = spawnFailure(plan([{ op: PlanOpCode.Setns, fd, nstype: 0, label: 'pod net' }, execve('/bin/true', ['true'])]))
  t.equal(syscallErrorFromSpawn(err).message, "EINVAL: invalid argument, setns 'pod net'")
})

t.test('failed children are reaped: no zombie is left', async t => {
  for (let i = 0; i < 50; i++) spawnFailure(plan([execve('/bin/nope', ['nope'])]))
  t.same([...childrenOfThisProcess()], [])
})

t.test('malformed plans are TypeErrors, before anything is cloned', async t => {
  t.throws(() => nativeApi.spawn(plan([])), TypeError)
  t.throws(() => nativeApi.spawn(plan([{ op: PlanOpCode.Chdir, path: '/' }])), TypeError)
  t.throws(() => nativeApi.spawn(plan([execve('/bin/true\0x', ['true'])])), TypeError)
  t.throws(() => nativeApi.spawn(plan([{ op: 99 } as never, execve('/bin/true', ['true'])])), TypeError)
})
