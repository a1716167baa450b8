// Runs one command inside a running container, as `podshim exec`, an exec
// probe or an exec hook does (CRI ExecSync): the new process joins the
// container's net/ipc/uts namespaces, its PID namespace (through the plan's
// pidNsFd, so it is born there and stays our child) and last its mount
// namespace (setns(2) on a mount namespace also moves root and cwd, so the
// Chdir to the working directory follows it), starts in the container's
// cgroup leaf (CLONE_INTO_CGROUP) with the container's env and ids, and has
// its stdout/stderr captured through pipes. A command that cannot be started
// (not found, not executable) is reported as containerd reports it, with exit
// code 126/127 and a message, not as a thrown error: only a container that
// is gone throws.
import { closeSync, constants, openSync, statSync, accessSync } from 'node:fs'
import { Socket } from 'node:net'
import { constants as osConstants } from 'node:os'
import { join } from 'node:path'
import {
  CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS, type ExitStatus, type NativeApi, type SpawnedProcess,
} from '../native/contract'
import { makePipes } from '../native/pipes'
import { SpawnError, syscallErrorFromSpawn } from '../native/spawn-error'
import { joinPlanOps } from '../sandbox/container-plan'
import { lastCapability } from '../sandbox/capabilities'
import { findExecutable } from '../sandbox/process-spec'
import type { Clock } from '../supervisor/clock'

/** kubelet's maxReadLength for exec output (pkg/kubelet/prober) */
export const EXEC_OUTPUT_LIMIT_BYTES = 10 * 1024
/** after the process exited, how long its output pipes may stay open (a backgrounded child holding them) */
const OUTPUT_DRAIN_MS = 1000
const { SIGKILL } = osConstants.signals

/** The container a command runs in, and the process attributes it inherits from the container. */
export interface ExecTarget {
  /** host pid of the container's main process */
  pid: number
  /** fd of the container's cgroup leaf directory (O_DIRECTORY), or -1 to stay in the supervisor's cgroup */
  cgroupFd: number
  /** the container's environment, KEY=value */
  envp: string[]
  /** the container's user, or null to keep root */
  ids: { uid: number; gid: number; groups: number[] } | null
  /** the container's capabilities (bounding set kept, no_new_privs) */
  capabilities: { keep: number; noNewPrivs: boolean }
  /** the container's working directory (inside its root) */
  workingDir: string
  /** the oom_score_adj the container got (containerd gives an exec the container's), or null: it kept the inherited one */
  oomScoreAdj?: number | null
}

export interface ExecResult {
  /** exit code, or null when killed by a signal */
  exitCode: number | null
  signal: number | null
  /** stdout then stderr (as kubelet joins them), at most EXEC_OUTPUT_LIMIT_BYTES */
  output: string
  /** stderr alone (its first EXEC_OUTPUT_LIMIT_BYTES), for hook error messages */
  stderr: string
  /** the timeout expired and the process was killed */
  timedOut: boolean
  /**
   * the command never ran (no such executable, or its execve failed): the
   * runtime's exec error, not an exit; a probe then errors (kubelet throws
   * its result away), a hook fails
   */
  isNotStarted?: boolean
}

const NAMESPACES: { name: string; nstype: number }[] = [
  { name: 'ipc', nstype: CLONE_NEWIPC },
  { name: 'uts', nstype: CLONE_NEWUTS },
  { name: 'net', nstype: CLONE_NEWNET },
  // last: it changes root and cwd for everything after it
  { name: 'mnt', nstype: CLONE_NEWNS },
]

/**
 * Run argv in the container behind target.pid. timeoutMs is in kubelet
 * milliseconds on `clock` (Infinity = none); on expiry the process is
 * SIGKILLed by pidfd and the result has timedOut set.
 */
export async function execInContainer(
  native: NativeApi, clock: Clock, target: ExecTarget, argv: string[], timeoutMs: number,
): Promise<ExecResult> {
  if (argv.length === 0) return { exitCode: 126, signal: null, output: 'exec: no command given', stderr: '', timedOut: false, isNotStarted: true }
  const fds: number[] = []
  const open = (path: string): number => {
    // libuv opens every file O_CLOEXEC
    const fd = openSync(path, 'r')
    fds.push(fd)
    return fd
  }
  let outRead = -1
  let errRead = -1
  let spawned: SpawnedProcess
  try {
    const joins = NAMESPACES.map(({ name, nstype }) => ({ fd: open(`/proc/${target.pid}/ns/${name}`), nstype }))
    const pidNsFd = open(`/proc/${target.pid}/ns/pid`)
    // looked up through the container's root as the host sees it (an absolute symlink inside resolves on the host)
    const rootOnHost = `/proc/${target.pid}/root`
    const exe = findExecutable(argv[0], target.envp, (path) => isExecutableFile(join(rootOnHost, path)))
    if (exe === undefined) {
      return { exitCode: 127, signal: null, output: `exec: "${argv[0]}": executable file not found in $PATH`, stderr: '', timedOut: false, isNotStarted: true }
    }
    const devNull = open('/dev/null')
    const [[oRead, oWrite], [eRead, eWrite]] = makePipes(native, 2)
    outRead = oRead
    errRead = eRead
    fds.push(oWrite, eWrite)
    const sharesOurPidNs = statSync(`/proc/${target.pid}/ns/pid`).ino === statSync('/proc/self/ns/pid').ino
    const ops = joinPlanOps({
      joinNamespaces: joins,
      stdio: [devNull, oWrite, eWrite],
      // across PID namespaces getppid() reads 0; the executor then checks the parent by pidfd
      parentPid: sharesOurPidNs ? process.pid : 0,
      ids: target.ids,
      capabilities: { ...target.capabilities, lastCap: lastCapability() },
      workingDir: target.workingDir,
      oomScoreAdj: target.oomScoreAdj ?? null,
      exec: { path: exe, argv, envp: target.envp },
    })
    try {
      spawned = native.spawn({ cloneFlags: 0, pidNsFd, cgroupFd: target.cgroupFd, ops })
    } catch (err) {
      if (!(err instanceof SpawnError) || err.step.syscall !== 'execve') throw err
      // as containerd: the exec itself failed, the command did not run
      const exitCode = err.errno === osConstants.errno.ENOENT ? 127 : 126
      for (const fd of [outRead, errRead]) native.close(fd)
      const output = `exec: ${syscallErrorFromSpawn(err).message}`
      return { exitCode, signal: null, output, stderr: output, timedOut: false, isNotStarted: true }
    }
  } catch (err) {
    for (const fd of [outRead, errRead]) if (fd >= 0) native.close(fd)
    throw err
  } finally {
    for (const fd of fds) closeFd(native, fd)
  }
  return await collect(native, clock, spawned, outRead, errRead, timeoutMs)
}

function closeFd(native: NativeApi, fd: number): void {
  try {
    native.close(fd)
  } catch {
    closeSync(fd)
  }
}

function isExecutableFile(hostPath: string): boolean {
  try {
    accessSync(hostPath, constants.X_OK)
    return statSync(hostPath).isFile()
  } catch {
    return false
  }
}

async function collect(
  native: NativeApi, clock: Clock, spawned: SpawnedProcess, outRead: number, errRead: number, timeoutMs: number,
): Promise<ExecResult> {
  const stdout = readCapped(outRead)
  const stderr = readCapped(errRead)
  let timedOut = false
  const timer = Number.isFinite(timeoutMs)
    ? clock.after(timeoutMs, () => {
      timedOut = true
      native.signal(spawned.pidfd, SIGKILL)
    })
    : undefined
  let status: ExitStatus
  try {
    status = await new Promise<ExitStatus>((resolve) => {
      native.watchExit(spawned.pidfd, (s) => {
        native.close(spawned.pidfd)
        resolve(s)
      })
    })
  } catch (err) {
    // no way to learn of its exit: stop it (it stays a zombie until podshim exits) rather than leave it running
    timer?.cancel()
    stdout.stop()
    stderr.stop()
    try {
      native.signal(spawned.pidfd, SIGKILL)
    } finally {
      native.close(spawned.pidfd)
    }
    throw err
  }
  timer?.cancel()
  // a child the command left behind may hold the pipes open: wait a little, then stop reading
  const drainTimer = setTimeout(() => {
    stdout.stop()
    stderr.stop()
  }, OUTPUT_DRAIN_MS)
  const [out, err] = await Promise.all([stdout.done, stderr.done])
  clearTimeout(drainTimer)
  const output = Buffer.concat([out, err]).subarray(0, EXEC_OUTPUT_LIMIT_BYTES).toString('utf8')
  return { exitCode: status.code, signal: status.signal, output, stderr: err.toString('utf8'), timedOut }
}

/** Read a pipe to EOF, keeping the first EXEC_OUTPUT_LIMIT_BYTES (the rest is drained and dropped). */
function readCapped(fd: number): { done: Promise<Buffer>; stop(): void } {
  const socket = new Socket({ fd, readable: true, writable: false })
  const chunks: Buffer[] = []
  let size = 0
  const done = new Promise<Buffer>((resolve) => {
    const finish = (): void => resolve(Buffer.concat(chunks))
    socket.on('data', (chunk: Buffer) => {
      if (size >= EXEC_OUTPUT_LIMIT_BYTES) return
      chunks.push(chunk.subarray(0, EXEC_OUTPUT_LIMIT_BYTES - size))
      size += Math.min(chunk.length, EXEC_OUTPUT_LIMIT_BYTES - size)
    })
    socket.on('end', () => {
      socket.destroy()
      finish()
    })
    socket.on('error', () => {
      socket.destroy()
      finish()
    })
    socket.on('close', finish)
  })
  return { done, stop: () => socket.destroy() }
}
