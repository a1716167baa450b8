// execInContainer against a container-like process: `sleep` in new PID, NET,
// IPC, UTS and mount namespaces with a private tmpfs only it sees. The
// command must land in every one of its namespaces, in its working dir, with
// the given env and ids, and report exit codes, signals, output and timeouts.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { nativeApi } from '../../../src/native/addon'
import {
  CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, MS_PRIVATE, MS_REC, PlanOpCode,
} from '../../../src/native/contract'
import { systemClock } from '../../../src/supervisor/clock'
import { execInContainer, type ExecTarget } from '../../../src/probes/exec-in-container'
import { containerCapabilities } from '../../../src/sandbox/capability-sets'
import { childrenOfThisProcess, eventually, execve, plan, spawnChild, tempDir } from '../native/fixtures/helpers'
import { waitMs } from '../pod/fixtures/helpers'

const clock = systemClock()

function startContainer(tt: Parameters<typeof spawnChild>[0], dir: string): number {
  const child = spawnChild(tt, plan([
    { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: 0 },
    { op: PlanOpCode.Sethostname, name: 'box' },
    { op: PlanOpCode.Mount, source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE, data: null },
    { op: PlanOpCode.Mount, source: 'tmpfs', target: dir, fstype: 'tmpfs', flags: 0, data: 'mode=755' },
    { op: PlanOpCode.Mkdir, path: join(dir, 'work'), mode: 0o755 },
    { op: PlanOpCode.Touch, path: join(dir, 'work', 'only-inside'), mode: 0o644 },
    { op: PlanOpCode.CloseFrom, fd: 3 },
    execve('/bin/sleep', ['sleep', '1000']),
  ], { cloneFlags: CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS }))
  return child.pid
}

t.test('exec in a running container', async (t) => {
  const dir = tempDir(t, 'podshim-exec-')
  const pid = startContainer(t, dir)
  const target: ExecTarget = { pid, cgroupFd: -1, envp: ['PATH=/usr/bin:/bin', 'GREETING=hello'], ids: null, capabilities: { keep: containerCapabilities(undefined, true), noNewPrivs: false }, workingDir: join(dir, 'work') }

  t.test('joins every namespace, the working dir and the env', async (t) => {
    const script = 'for n in net ipc uts pid mnt; do stat -L -c %i /proc/self/ns/$n; done; hostname; pwd; ls; echo $GREETING; grep NSpid /proc/self/status'
    const run = await execInContainer(nativeApi, clock, target, ['sh', '-c', script], waitMs(5000))
    t.equal(run.exitCode, 0, run.output)
    const lines = run.output.trim().split('\n')
    const expected = ['net', 'ipc', 'uts', 'pid', 'mnt'].map((n) => String(statSync(`/proc/${pid}/ns/${n}`).ino))
    t.same(lines.slice(0, 5), expected, 'the container\'s net, ipc, uts, pid and mnt namespaces')
    t.same(lines.slice(5, 9), ['box', join(dir, 'work'), 'only-inside', 'hello'], 'hostname, cwd, the private mount, env')
    t.match(lines[9], /^NSpid:\s+\d+\s+\d+$/, 'a pid in the container\'s PID namespace too')
    t.notOk(lines[9].endsWith('\t1'), 'not PID 1 there: the container\'s process is')
  })

  t.test('exit codes, stdout before stderr, ids', async (t) => {
    const run = await execInContainer(nativeApi, clock, target, ['sh', '-c', 'echo err >&2; echo out; exit 3'], waitMs(5000))
    t.same({ ...run }, { exitCode: 3, signal: null, output: 'out\nerr\n', stderr: 'err\n', timedOut: false })
    const nobody = await execInContainer(nativeApi, clock, { ...target, ids: { uid: 65534, gid: 65534, groups: [] } }, ['id', '-u'], waitMs(5000))
    t.equal(nobody.output.trim(), '65534')
  })

  t.test('a timeout kills the command', async (t) => {
    const started = Date.now()
    const run = await execInContainer(nativeApi, clock, target, ['sleep', '30'], 300)
    // the alternative is the end of the sleep, 30 s
    t.ok(Date.now() - started < waitMs(15_000), 'returned at the timeout, not when the command ended')
    t.match(run, { timedOut: true, signal: 9, exitCode: null })
  })

  t.test('a backgrounded child holding the pipes does not hang the result', async (t) => {
    const started = Date.now()
    const run = await execInContainer(nativeApi, clock, target, ['sh', '-c', 'sleep 30 & echo started'], waitMs(5000))
    t.equal(run.exitCode, 0)
    t.equal(run.output, 'started\n')
    // the alternative is waiting for the pipes until the background sleep ends, 30 s
    t.ok(Date.now() - started < waitMs(15_000), 'returned without waiting for the background child')
  })

  t.test('output is capped at 10 KiB', async (t) => {
    const run = await execInContainer(nativeApi, clock, target, ['sh', '-c', 'head -c 50000 /dev/zero | tr "\\0" a'], waitMs(5000))
    t.equal(run.output.length, 10 * 1024)
  })

  t.test('a missing command is exit 127 with containerd\'s message; a missing cwd is an error', async (t) => {
    const run = await execInContainer(nativeApi, clock, target, ['no-such-command'], waitMs(5000))
    t.same({ exitCode: run.exitCode, output: run.output, isNotStarted: run.isNotStarted }, { exitCode: 127, output: 'exec: "no-such-command": executable file not found in $PATH', isNotStarted: true })
    const ran = await execInContainer(nativeApi, clock, target, ['sh', '-c', 'exit 127'], waitMs(5000))
    t.same({ exitCode: ran.exitCode, isNotStarted: ran.isNotStarted }, { exitCode: 127, isNotStarted: undefined }, 'a command that ran and exited 127 did run')
    await t.rejects(execInContainer(nativeApi, clock, { ...target, workingDir: '/no/such/dir' }, ['true'], waitMs(5000)), { message: /chdir/ })
  })

  t.test('a container that is gone throws', async (t) => {
    await t.rejects(execInContainer(nativeApi, clock, { ...target, pid: 0x3ffffff }, ['true'], waitMs(5000)), { code: 'ENOENT' })
  })

  t.test('no zombie or stray child left', async (t) => {
    t.ok(await eventually(() => [...childrenOfThisProcess().keys()].every((p) => p === pid)), 'only the container remains')
  })
})
