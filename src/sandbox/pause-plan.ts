// The op list that turns a fresh clone into the pod's pause process: the
// pod's hostname and loopback in its new UTS and network namespaces, the
// sandbox OOM score containerd gives (-998), death with the supervisor, and
// the reap-event pipe on fd 3, then execve of native/pause. Pure.
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUTS, type PlanOp, PlanOpCode } from '../native/contract'

/** containerd's defaultSandboxOOMAdj */
export const SANDBOX_OOM_SCORE_ADJ = -998

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
}): PlanOp[] {
  const ops: PlanOp[] = []
  if (!input.ns.hostNetwork) ops.push({ op: PlanOpCode.Sethostname, name: input.hostname }, { op: PlanOpCode.LoopbackUp })
  if (input.canSetOomScoreAdj) ops.push({ op: PlanOpCode.WriteFile, path: '/proc/self/oom_score_adj', data: String(SANDBOX_OOM_SCORE_ADJ) })
  ops.push({ op: PlanOpCode.Pdeathsig, signal: 9, parentPid: input.parentPid })
  input.fds.forEach((fd, target) => ops.push({ op: PlanOpCode.Dup2, fd, target }))
  ops.push(
    { op: PlanOpCode.CloseFrom, fd: 4 },
    { op: PlanOpCode.Setsid },
    { op: PlanOpCode.Chdir, path: '/' },
    { op: PlanOpCode.Execve, path: input.pausePath, argv: ['/pause'], envp: [] },
  )
  return ops
}
