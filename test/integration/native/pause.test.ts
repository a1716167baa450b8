// pause as the pod's PID 1: started by spawn() with new PID/NET/IPC/UTS
// namespaces, it sets up its sandbox from the plan, reaps orphans (reporting
// each on fd 3) and exits 0 on TERM. Containers join its PID namespace with
// pidNsFd and stay children of the supervisor.

import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Socket } from 'node:net'
import t, { type Test } from 'tap'

import { PAUSE_PATH, nativeApi } from '../../../src/native/addon'
import {
  CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC,
  PlanOpCode, type PlanOp,
} from '../../../src/native/contract'
import { SIGTERM, childrenOfThisProcess, eventually, execve, killCgroup, plan, runCaptured, spawnChild, statusField, type Child } from './fixtures/helpers'
import { waitMs } from '../pod/fixtures/helpers'
import { findCgroup2Mount } from '../../../src/cgroup/mount'

const HOSTNAME = 'podshim-test-pod'

interface Pod {
  pause: Child
  /** everything pause writes on fd 3 so far */
  reports: () => string
  /** setns ops joining pause's NET, IPC and UTS namespaces */
  joinOps: PlanOp[]
  pidNsFd: number
}

function nsFd(t: { teardown(fn: () => void): void }, pid: number, ns: string): number {
  const fd = openSync(`/proc/${pid}/ns/${ns}`, 'r')
  t.teardown(() => closeSync(fd))
  return fd
}

async function startPod(t: Parameters<typeof nsFd>[0]): Promise<Pod> {
  const [readFd, writeFd] = nativeApi.pipe()
  let pause: Child
  try {
    pause = spawnChild(t, plan([
      { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: 0 },
      { op: PlanOpCode.Sethostname, name: HOSTNAME },
      { op: PlanOpCode.LoopbackUp },
      { op: PlanOpCode.Dup2, fd: writeFd, target: 3 },
      { op: PlanOpCode.CloseFrom, fd: 4 },
      execve(PAUSE_PATH, ['pause'], []),
    ], { cloneFlags: CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS }))
  } finally {
    nativeApi.close(writeFd)
  }
  let text = ''
  const socket = new Socket({ fd: readFd, readable: true, writable: false })
  socket.setEncoding('utf8')
  socket.on('data', chunk => { text += chunk })
  t.teardown(() => { socket.destroy() })
  const joinOps: PlanOp[] = [
    { op: PlanOpCode.Setns, fd: nsFd(t, pause.pid, 'net'), nstype: CLONE_NEWNET, label: 'pod net' },
    { op: PlanOpCode.Setns, fd: nsFd(t, pause.pid, 'ipc'), nstype: CLONE_NEWIPC, label: 'pod ipc' },
    { op: PlanOpCode.Setns, fd: nsFd(t, pause.pid, 'uts'), nstype: CLONE_NEWUTS, label: 'pod uts' },
  ]
  return { pause, reports: () => text, joinOps, pidNsFd: nsFd(t, pause.pid, 'pid') }
}

t.test('pause is PID 1 of its new PID namespace, with hostname and lo up', async t => {
  const pod = await startPod(t)
  const nspid = statusField(pod.pause.pid, 'NSpid')
  t.equal(nspid, `${pod.pause.pid}\t1`, 'NSpid: host pid, then 1 inside')
  t.equal(statusField(pod.pause.pid, 'PPid'), String(process.pid), 'the supervisor is its parent')
  for (const ns of ['pid_for_children', 'net', 'ipc', 'uts']) {
    const own = ns === 'pid_for_children' ? 'pid' : ns
    t.not(statSync(`/proc/${pod.pause.pid}/ns/${own}`).ino, statSync(`/proc/self/ns/${own}`).ino, `a new ${own} namespace`)
  }
  const [status, output] = await runCaptured(t, [
    ...pod.joinOps,
    execve('/bin/sh', ['sh', '-c', 'cat /proc/sys/kernel/hostname; ip -o link show lo']),
  ])
  t.equal(status.code, 0, output)
  const [hostname, link] = output.split('\n')
  t.equal(hostname, HOSTNAME)
  t.match(link, /<[^>]*\bUP\b[^>]*>/, 'lo is UP')
  t.not(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), HOSTNAME, 'the host hostname is untouched')
})

t.test('a child spawned with pidNsFd joins the PID namespace and keeps the supervisor as parent', async t => {
  const pod = await startPod(t)
  const child = spawnChild(t, plan([...pod.joinOps, execve('/bin/sleep', ['sleep', '100'])], { pidNsFd: pod.pidNsFd }))
  t.equal(statSync(`/proc/${child.pid}/ns/pid`).ino, statSync(`/proc/${pod.pause.pid}/ns/pid`).ino, 'same PID namespace as pause')
  t.equal(statusField(child.pid, 'PPid'), String(process.pid), 'PPid is the supervisor')
  const nspid = statusField(child.pid, 'NSpid')?.split('\t')
  t.equal(nspid?.length, 2)
  t.equal(nspid?.[0], String(child.pid))
  t.ok(Number(nspid?.[1]) > 1, 'a pid inside the pod other than 1')
  // With its own /proc (in a private mount namespace) a container sees pause as PID 1.
  const [status, output] = await runCaptured(t, [
    { op: PlanOpCode.Mount, source: null, target: '/', fstype: null, flags: MS_REC | MS_PRIVATE, data: null },
    { op: PlanOpCode.Mount, source: 'proc', target: '/proc', fstype: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: null },
    execve('/bin/sh', ['sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; echo $$']),
  ], { pidNsFd: pod.pidNsFd, cloneFlags: CLONE_NEWNS })
  t.equal(status.code, 0, output)
  const [pid1, self] = output.split('\n')
  t.equal(pid1, 'pause ', 'PID 1 is pause')
  t.ok(Number(self) > 1, 'the container has a pid > 1 in the pod')
  nativeApi.signal(child.pidfd, 9)
  t.same(await child.exited, { code: null, signal: 9, coreDumped: false })
})

t.test('pause reaps an orphan and reports it on fd 3', async t => {
  const pod = await startPod(t)
  // sh backgrounds a sleep and exits: the sleep is orphaned to PID 1 = pause.
  const [status, output] = await runCaptured(t, [
    ...pod.joinOps,
    execve('/bin/sh', ['sh', '-c', 'sleep 0.2 & echo $!; exit 0']),
  ], { pidNsFd: pod.pidNsFd })
  t.equal(status.code, 0)
  // $! is the orphan's pid inside the pod, which is what pause reports.
  const orphan = output.trim()
  t.match(orphan, /^\d+$/)
  t.ok(await eventually(() => pod.reports() === `reap ${orphan} exited 0\n`), `reap line: ${JSON.stringify(pod.reports())}`)
  const pausePid = pod.pause.pid
  const zombies = () => {
    const tasks = readFileSync(`/proc/${pausePid}/task/${pausePid}/children`, 'utf8').trim()
    return tasks === '' ? [] : tasks.split(' ')
  }
  t.same(zombies(), [], 'pause has no child left, zombie or not')
})

t.test('pause reports a signaled orphan', async t => {
  const pod = await startPod(t)
  const [status] = await runCaptured(t, [
    execve('/bin/sh', ['sh', '-c', 'sh -c "kill -9 \\$\\$" & exit 0']),
  ], { pidNsFd: pod.pidNsFd })
  t.equal(status.code, 0)
  t.ok(await eventually(() => /reap \d+ signaled 9\n/.test(pod.reports())), `reap line: ${JSON.stringify(pod.reports())}`)
})

t.test('pause exits 0 on TERM', async t => {
  const pod = await startPod(t)
  // every handler in place (SIGCHLD's, bit 16, is the last pause installs): a TERM before its handler is dropped,
  // as the kernel drops any signal a PID namespace's init has no handler for, and pause would never exit
  const isReady = await eventually(() => (BigInt(`0x${statusField(pod.pause.pid, 'SigCgt') ?? '0'}`) & 0x14000n) === 0x14000n, waitMs(5000))
  if (!t.ok(isReady, 'pause has its handlers')) return
  nativeApi.signal(pod.pause.pidfd, SIGTERM)
  t.same(await pod.pause.exited, { code: 0, signal: null, coreDumped: false })
  t.ok(await eventually(() => childrenOfThisProcess().size === 0))
})

/**
 * In a private mount namespace of a shell (nothing is ever left mounted on
 * the host): a tmpfs on a temp dir, pause started by python3 with fd 5 as
 * `fd5` opens that dir, TERM once pause catches it; prints pause's exit,
 * whether the tmpfs is still mounted, and pause's command line as it was.
 */
function pauseWithFd5(dir: string, fd5: 'O_PATH' | 'O_RDONLY', below = ''): { status: number | null; stdout: string; stderr: string } {
  const exec = `import os, sys
fd = os.open(sys.argv[1] + "${below}", os.${fd5} | os.O_DIRECTORY)
os.dup2(fd, 5)
os.execv(sys.argv[2], ["/pause"])`
  const script = `mount -t tmpfs shm "$1" || exit 10
mkdir "$1/below"
python3 -c '${exec}' "$1" "$0" 2>/dev/null & pid=$!
# pause dies with the shell on every way out but its own exit (pid is cleared once it is reaped)
trap '[ -z "$pid" ] || kill -KILL $pid 2>/dev/null' EXIT
trap 'exit 143' TERM
# TERM only once pause itself (not python before its exec) catches it: SigCgt bit 14
end=$(( $(date +%s) + $2 ))
until [ "$(cat /proc/$pid/comm)" = pause ] && [ $(( 0x$(awk '/^SigCgt:/ { print $2 }' /proc/$pid/status) & 0x4000 )) -ne 0 ]; do
  [ -e /proc/$pid ] || exit 11
  [ $(date +%s) -lt $end ] || exit 12
  sleep 0.01
done
cmdline=$(tr '\\0' ' ' < /proc/$pid/cmdline)
kill -TERM $pid; wait $pid; status=$?; pid=; echo "exit $status"
if grep -q " $1 " /proc/self/mountinfo; then echo mounted; else echo unmounted; fi
echo "cmdline $cmdline"`
  // the shell gives up on pause after 5 s (scaled), before spawnSync's 10 s would TERM it
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, PAUSE_PATH, dir, String(Math.ceil(waitMs(5000) / 1000))], { encoding: 'utf8', timeout: waitMs(10_000) })
}

t.test('pause unmounts the tmpfs it holds an O_PATH fd 5 of as it shuts down on TERM', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-pause-shm-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = pauseWithFd5(dir, 'O_PATH')
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, 'exit 0\nunmounted\ncmdline /pause \n', 'unmounted; the path is on no command line')
})

t.test('pause leaves alone a mount whose fd 5 it merely inherited (not O_PATH, or not the mount\'s root)', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-pause-shm-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const plain = pauseWithFd5(dir, 'O_RDONLY')
  t.equal(plain.status, 0, plain.stderr)
  t.equal(plain.stdout, 'exit 0\nmounted\ncmdline /pause \n', 'not O_PATH')
  const below = pauseWithFd5(dir, 'O_PATH', '/below')
  t.equal(below.status, 0, below.stderr)
  t.equal(below.stdout, 'exit 0\nmounted\ncmdline /pause \n', 'a directory below the root')
})

/**
 * pause started by python3 with fd 4 = the file `which` of a fresh test
 * cgroup (opened write-only) holding a sleep of its own; SIGUSR2 once pause
 * has its TERM handler (and its SIGUSR2 one, if it takes the fd). Prints
 * how pause ended and whether the sleep lives.
 */
function pauseWithFd4(t: Test, which: string): Map<string, string> {
  const cgroup = join(findCgroup2Mount(), `podshim-test-pause-${process.pid}-${which}`)
  mkdirSync(cgroup)
  t.teardown(async () => {
    if (!existsSync(cgroup)) return
    killCgroup(cgroup)
    await eventually(() => readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').trim() === '')
    rmdirSync(cgroup)
  })
  const script = `import os, signal, subprocess, sys, time
cgroup, which, pause = sys.argv[1:4]
sleeper = subprocess.Popen(["sleep", "100"])
with open(cgroup + "/cgroup.procs", "w") as f:
    f.write(str(sleeper.pid))
os.dup2(os.open(cgroup + "/" + which, os.O_WRONLY), 4)
pid = os.fork()
if pid == 0:
    os.execv(pause, ["/pause"])
# spawnSync's timeout TERMs python: leave through the finally below, which kills pause
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
deadline = time.monotonic() + float(sys.argv[4])
def caught():
    with open("/proc/%d/status" % pid) as f:
        return int([l for l in f if l.startswith("SigCgt:")][0].split()[1], 16)
try:
    # pause's handlers all in place: SIGCHLD's (bit 16) is the last it installs, after SIGTERM's and SIGUSR2's
    while open("/proc/%d/comm" % pid).read().strip() != "pause" or caught() & 0x14000 != 0x14000:
        if time.monotonic() > deadline:
            sys.exit("pause never caught TERM")
        time.sleep(0.01)
    os.kill(pid, signal.SIGUSR2)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            sys.exit("pause did not end on SIGUSR2")
        time.sleep(0.01)
    pid = 0
    print("pause=" + ("signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status)))
    time.sleep(0.05)
    print("sleep=" + ("alive" if sleeper.poll() is None else "dead"))
finally:
    if pid:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sleeper.kill()
    sleeper.wait()`
  // python gives up on pause after 5 s (scaled), before spawnSync's 10 s would TERM it
  const r = spawnSync('python3', ['-c', script, cgroup, which, PAUSE_PATH, String(waitMs(5000) / 1000)], { encoding: 'utf8', timeout: waitMs(10_000) })
  t.equal(r.status, 0, r.stderr)
  return new Map(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]))
}

t.test('pause kills the cgroup whose cgroup.kill it holds on fd 4 when SIGUSR2 comes', async t => {
  const seen = pauseWithFd4(t, 'cgroup.kill')
  t.equal(seen.get('pause'), 'exit 0')
  t.equal(seen.get('sleep'), 'dead', 'the cgroup\'s process was killed')
})

t.test('pause takes no other cgroup file on fd 4 for cgroup.kill (SIGUSR2 then ends it as it ends Kubernetes\' pause)', async t => {
  const seen = pauseWithFd4(t, 'cgroup.freeze')
  t.equal(seen.get('pause'), 'signal 12')
  t.equal(seen.get('sleep'), 'alive', 'nothing was written to the cgroup')
})
