// File descriptors and mounts in the child: nothing leaks past CloseFrom or
// without it, Dup2 cannot clobber the error pipe, CLONE_INTO_CGROUP places
// the child, and a private mount namespace with pivot_root builds a rootfs.

import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { nativeApi } from '../../../src/native/addon'
import {
  CLONE_NEWNS, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, PlanOpCode, SpawnStage,
} from '../../../src/native/contract'
import { SpawnError, syscallErrorFromSpawn } from '../../../src/native/spawn-error'
import { eventually, execve, killCgroup, plan, runCaptured, sleep, spawnChild, tempDir } from './fixtures/helpers'

const LIST_FDS = 'for f in /proc/self/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done'
const O_CLOEXEC = 0o2000000

function parseFds(output: string): number[] {
  return output.trim().split('\n').filter(Boolean).map(Number).sort((a, b) => a - b)
}

t.test('no fd leaks into the child after CloseFrom(3)', async t => {
  const [status, output] = await runCaptured(t, [
    { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: process.pid }, // the executor then holds a pidfd too
    execve('/bin/sh', ['sh', '-c', LIST_FDS]),
  ])
  t.equal(status.code, 0, output)
  // stdin is whatever tap gave this process (it may be closed); 1 and 2 are the capture file.
  t.same(parseFds(output).filter(n => n !== 0), [1, 2])
})

t.test('without CloseFrom, only fds this process left inheritable reach the child', async t => {
  const inheritable = new Set([0, 1, 2])
  for (const entry of readdirSync('/proc/self/fdinfo')) {
    try {
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${entry}`, 'utf8'))
      if (flags && (parseInt(flags[1], 8) & O_CLOEXEC) === 0) inheritable.add(Number(entry))
    } catch {
      // closed while we looked
    }
  }
  const dir = tempDir(t)
  const outPath = join(dir, 'out')
  const fd = openSync(outPath, 'w')
  const spawned = (() => {
    try {
      return nativeApi.spawn(plan([
        { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: process.pid },
        { op: PlanOpCode.Dup2, fd, target: 1 },
        execve('/bin/sh', ['sh', '-c', LIST_FDS]),
      ]))
    } finally {
      closeSync(fd)
    }
  })()
  const status = await new Promise(resolve => nativeApi.watchExit(spawned.pidfd, resolve))
  nativeApi.close(spawned.pidfd)
  t.same(status, { code: 0, signal: null, coreDumped: false })
  const leaked = parseFds(readFileSync(outPath, 'utf8')).filter(n => !inheritable.has(n))
  t.same(leaked, [], 'the addon\'s own fds (error pipe, parent pidfd) are O_CLOEXEC')
})

t.test('OpenPath leaves an O_PATH fd of its path open across execve, on the fd asked', async t => {
  const dir = tempDir(t)
  const outPath = join(dir, 'out')
  const fd = openSync(outPath, 'w')
  let child: ReturnType<typeof spawnChild>
  try {
    child = spawnChild(t, plan([
      { op: PlanOpCode.Dup2, fd, target: 1 },
      { op: PlanOpCode.CloseFrom, fd: 3 },
      // after CloseFrom: the plan's last fds, as pause's /dev/shm is
      { op: PlanOpCode.OpenPath, path: dir, target: 7 },
      execve('/bin/sh', ['sh', '-c', 'readlink /proc/self/fd/7; grep ^flags: /proc/self/fdinfo/7']),
    ]))
  } finally {
    closeSync(fd)
  }
  t.equal((await child.exited).code, 0)
  const [link, flags] = readFileSync(outPath, 'utf8').trim().split('\n')
  t.equal(link, dir)
  t.equal(parseInt(flags.split(/\s+/)[1], 8) & (0o10000000 | O_CLOEXEC), 0o10000000, 'O_PATH, not close-on-exec')
})

t.test('Dup2 onto the numbers the error pipe gets does not break error reporting', async t => {
  const dir = tempDir(t)
  const fd = openSync(join(dir, 'f'), 'w')
  t.teardown(() => closeSync(fd))
  // The lowest free fds now are the ones spawn's pipe2 and pidfd_open will get.
  const probe = openSync('/dev/null', 'r')
  closeSync(probe)
  const ops = [probe, probe + 1, probe + 2].map(target => ({ op: PlanOpCode.Dup2 as const, fd, target }))
  let caught: unknown
  try {
    const spawned = nativeApi.spawn(plan([{ op: PlanOpCode.Pdeathsig, signal: 9, parentPid: 0 }, ...ops, execve('/bin/nope', ['nope'])]))
    nativeApi.close(spawned.pidfd)
  } catch (err) {
    caught = err
  }
  t.ok(caught instanceof SpawnError, 'the failure still arrives')
  t.equal((caught as SpawnError).opIndex, 4)
  t.equal((caught as SpawnError).errno, 2)
})

t.test('Dup2 of an fd onto itself keeps it open across exec', async t => {
  const dir = tempDir(t)
  const kept = openSync(join(dir, 'kept'), 'w') // O_CLOEXEC, as Node opens everything
  t.teardown(() => closeSync(kept))
  const out = openSync(join(dir, 'out'), 'w')
  t.teardown(() => closeSync(out))
  const spawned = nativeApi.spawn(plan([
    { op: PlanOpCode.Dup2, fd: kept, target: kept },
    { op: PlanOpCode.Dup2, fd: out, target: 1 },
    execve('/bin/sh', ['sh', '-c', `[ -e /proc/self/fd/${kept} ] && echo kept`]),
  ]))
  const status = await new Promise(resolve => nativeApi.watchExit(spawned.pidfd, resolve))
  nativeApi.close(spawned.pidfd)
  t.same(status, { code: 0, signal: null, coreDumped: false })
  t.equal(readFileSync(join(dir, 'out'), 'utf8'), 'kept\n')
})

/** Where cgroup2 is mounted (/sys/fs/cgroup/unified on hybrid hosts), from mountinfo. */
function cgroup2Root(): string | undefined {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
  return mountinfo.find(line => line.split(' - ')[1]?.startsWith('cgroup2 '))?.split(' ')[4]
}

const CGROUP2_ROOT = cgroup2Root()

t.test('CLONE_INTO_CGROUP starts the child in a cgroup of our own', {
  skip: CGROUP2_ROOT ? false : 'no cgroup2 mount in /proc/self/mountinfo: CLONE_INTO_CGROUP needs cgroup v2',
}, async t => {
  const root = CGROUP2_ROOT as string
  const name = `podshim-test-${Math.random().toString(36).slice(2, 10)}`
  const dir = join(root, name)
  mkdirSync(dir)
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  t.teardown(async () => {
    closeSync(fd)
    killCgroup(dir)
    await eventually(() => readFileSync(join(dir, 'cgroup.procs'), 'utf8') === '')
    for (let i = 0; i < 50 && existsSync(dir); i++) {
      try {
        rmdirSync(dir)
      } catch {
        await sleep(20)
      }
    }
  })
  const [status, output] = await runCaptured(t, [execve('/bin/cat', ['cat', '/proc/self/cgroup'])], { cgroupFd: fd })
  t.equal(status.code, 0, output)
  t.match(output, new RegExp(`^0::/${name}$`, 'm'))

  const nullFd = openSync('/dev/null', 'r')
  t.teardown(() => closeSync(nullFd))
  try {
    nativeApi.spawn(plan([execve('/bin/true', ['true'])], { cgroupFd: nullFd }))
    t.fail('a non-cgroup fd must fail')
  } catch (err) {
    t.ok(err instanceof SpawnError)
    t.equal((err as SpawnError).opIndex, SpawnStage.Clone, syscallErrorFromSpawn(err as SpawnError).message)
  }
})

t.test('a private mount namespace: mounts, symlinks, pivot_root, chdir', async t => {
  const rootfs = tempDir(t, 'podshim-rootfs-')
  const [status, output] = await runCaptured(t, [
    { op: PlanOpCode.Mount, source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE, data: null },
    { op: PlanOpCode.Mount, source: rootfs, target: rootfs, fstype: null, flags: MS_BIND | MS_REC, data: null },
    { op: PlanOpCode.Mkdir, path: `${rootfs}/usr`, mode: 0o755 },
    { op: PlanOpCode.Mount, source: '/usr', target: `${rootfs}/usr`, fstype: null, flags: MS_BIND | MS_REC, data: null },
    { op: PlanOpCode.Mount, source: null, target: `${rootfs}/usr`, fstype: null, flags: MS_REMOUNT | MS_BIND | MS_RDONLY, data: null },
    { op: PlanOpCode.Symlink, target: 'usr/bin', path: `${rootfs}/bin` },
    { op: PlanOpCode.Symlink, target: 'usr/lib', path: `${rootfs}/lib` },
    { op: PlanOpCode.Symlink, target: 'usr/lib64', path: `${rootfs}/lib64` },
    { op: PlanOpCode.Mkdir, path: `${rootfs}/proc`, mode: 0o555 },
    { op: PlanOpCode.Mkdir, path: `${rootfs}/etc`, mode: 0o755 },
    { op: PlanOpCode.Mkdir, path: `${rootfs}/etc`, mode: 0o755 }, // existing: not an error
    { op: PlanOpCode.Touch, path: `${rootfs}/etc/hostname`, mode: 0o644 },
    { op: PlanOpCode.WriteFile, path: `${rootfs}/etc/hostname`, data: 'written-by-plan\n' },
    { op: PlanOpCode.PivotRoot, path: rootfs },
    { op: PlanOpCode.Mount, source: 'proc', target: '/proc', fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: null },
    { op: PlanOpCode.Chdir, path: '/etc' },
    execve('/bin/sh', ['sh', '-c', 'pwd; ls /; cat /etc/hostname; if touch /usr/x 2>/etc/err; then echo writable; else echo read-only; fi; grep -c . /proc/self/mountinfo']),
  ], { cloneFlags: CLONE_NEWNS })
  t.equal(status.code, 0, output)
  const lines = output.trim().split('\n')
  t.equal(lines[0], '/etc')
  t.same(lines.slice(1, 7), ['bin', 'etc', 'lib', 'lib64', 'proc', 'usr'], 'only the rootfs is visible')
  t.equal(lines[7], 'written-by-plan')
  t.equal(lines[8], 'read-only')
  t.ok(Number(lines[9]) < 20, 'the old root is detached: few mounts left')
  const hostMounts = readFileSync('/proc/self/mountinfo', 'utf8')
  t.notOk(hostMounts.includes(rootfs), 'nothing leaked into the host mount namespace')
})

t.test('a cwd outside the root is refused, even through a leaked fd (CVE-2024-21626)', async t => {
  const rootfs = tempDir(t, 'podshim-rootfs-')
  const hostDir = tempDir(t, 'podshim-host-')
  const leaked = openSync(hostDir, constants.O_RDONLY | constants.O_DIRECTORY)
  t.teardown(() => closeSync(leaked))
  let caught: unknown
  try {
    const spawned = nativeApi.spawn(plan([
      { op: PlanOpCode.Mount, source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE, data: null },
      { op: PlanOpCode.Mount, source: rootfs, target: rootfs, fstype: null, flags: MS_BIND | MS_REC, data: null },
      { op: PlanOpCode.Mkdir, path: `${rootfs}/proc`, mode: 0o555 },
      { op: PlanOpCode.PivotRoot, path: rootfs },
      { op: PlanOpCode.Mount, source: 'proc', target: '/proc', fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: null },
      { op: PlanOpCode.Chdir, path: `/proc/self/fd/${leaked}` },
      execve('/bin/true', ['true']),
    ], { cloneFlags: CLONE_NEWNS }))
    nativeApi.close(spawned.pidfd)
  } catch (err) {
    caught = err
  }
  t.ok(caught instanceof SpawnError, 'the spawn failed')
  t.equal(syscallErrorFromSpawn(caught as SpawnError).message, `ENOENT: no such file or directory, chdir '/proc/self/fd/${leaked}'`)
})
