// The op list that turns a fresh clone into the pod's pause process: the
// pod's hostname and loopback in its new UTS and network namespaces, its
// sysctls (written in those namespaces, as /proc/sys/net and the IPC files
// are the writer's own namespace's), the
// sandbox OOM score containerd gives (-998), death with the supervisor, the
// reap-event pipe on fd 3, the pod's /dev/shm tmpfs (pause shares the
// supervisor's mount namespace, so the mount is the host's, for every
// container to bind) with an O_PATH fd of it on fd 5 for pause to unmount
// as it shuts down, then execve of native/pause as plain "/pause". In
// hostPID pods, the pod cgroup's cgroup.kill on fd 4 and SIGUSR2 as the
// parent-death signal: there no PID namespace ends with pause, so pause
// kills the pod's cgroup when the supervisor dies (native/pause.c). Pure.
import { sysctlProcPath } from '../spec/sysctls'
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUTS, MS_NODEV, MS_NOEXEC, MS_NOSUID, type PlanOp, PlanOpCode } from '../native/contract'

/** native/pause.c: the fds it takes over */
export const PAUSE_KILL_FD = 4
export const PAUSE_SHM_FD = 5
/** pause's parent-death signal where it holds the pod cgroup's cgroup.kill: it kills the pod's cgroup on it */
export const PAUSE_KILL_SIGNAL = 12 // SIGUSR2

/** containerd's defaultSandboxOOMAdj */
export const SANDBOX_OOM_SCORE_ADJ = -998
/** containerd's sandbox /dev/shm: tmpfs, 64 MiB (defaultShmSize) */
export const SHM_MOUNT_DATA = 'mode=1777,size=65536k'

export interface PauseNamespaces {
  hostNetwork: boolean
  hostPID: boolean
  hostIPC: boolean
}

/** Kubernetes: hostNetwork pods also use the host's UTS namespace (and hostname). */
export function pauseCloneFlags(ns: PauseNamespaces): number {
  let flags = 0
  if (!ns.hostPID) flags |= CLONE_NEWPID
  if (!ns.hostNetwork) flags |= CLONE_NEWNET | CLONE_NEWUTS
  if (!ns.hostIPC) flags |= CLONE_NEWIPC
  return flags
}

export function pausePlanOps(input: {
  ns: PauseNamespaces
  hostname: string
  pausePath: string
  /** [stdin, stdout, stderr, reap-event pipe] */
  fds: [number, number, number, number]
  parentPid: number
  /** lowering oom_score_adj needs CAP_SYS_RESOURCE, which some roots lack */
  canSetOomScoreAdj: boolean
  /** where to mount the pod's /dev/shm tmpfs; null where the pod uses the host's (hostIPC) */
  shmDir: string | null
  /** an O_WRONLY fd of the pod cgroup's cgroup.kill (hostPID pods), or null */
  killFd: number | null
  /** the pod's sysctls, written in its new namespaces as the runtime writes them for the sandbox */
  sysctls?: readonly { name: string; value: string }[]
}): PlanOp[] {
  const ops: PlanOp[] = []
  if (!input.ns.hostNetwork) ops.push({ op: PlanOpCode.Sethostname, name: input.hostname }, { op: PlanOpCode.LoopbackUp })
  for (const { name, value } of input.sysctls ?? []) ops.push({ op: PlanOpCode.WriteFile, path: sysctlProcPath(name), data: value })
  if (input.canSetOomScoreAdj) ops.push({ op: PlanOpCode.WriteFile, path: '/proc/self/oom_score_adj', data: String(SANDBOX_OOM_SCORE_ADJ) })
  ops.push({ op: PlanOpCode.Pdeathsig, signal: input.killFd === null ? 9 : PAUSE_KILL_SIGNAL, parentPid: input.parentPid })
  input.fds.forEach((fd, target) => ops.push({ op: PlanOpCode.Dup2, fd, target }))
  // after them: once they are in place, only its own source is still needed
  if (input.killFd !== null) ops.push({ op: PlanOpCode.Dup2, fd: input.killFd, target: PAUSE_KILL_FD })
  ops.push(
    { op: PlanOpCode.CloseFrom, fd: input.killFd === null ? PAUSE_KILL_FD : PAUSE_KILL_FD + 1 },
    { op: PlanOpCode.Setsid },
    { op: PlanOpCode.Chdir, path: '/' },
  )
  // last before execve: a failure after it would leave the mount behind (the supervisor's teardown checks)
  if (input.shmDir !== null) {
    ops.push(
      { op: PlanOpCode.Mount, source: 'shm', target: input.shmDir, fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: SHM_MOUNT_DATA },
      { op: PlanOpCode.OpenPath, path: input.shmDir, target: PAUSE_SHM_FD },
    )
  }
  ops.push({ op: PlanOpCode.Execve, path: input.pausePath, argv: ['/pause'], envp: [] })
  return ops
}
