// The pod's status in the Kubernetes v1 PodStatus shape: container states
// with kubelet's and containerd's reasons, the phase by kubelet's getPhase
// rules (pkg/kubelet/kubelet_pods.go) and the conditions kubelet appends
// (pkg/kubelet/status/generate.go). Pure.

export interface ContainerStateWaiting { reason: string; message?: string }
export interface ContainerStateRunning { startedAt: string }
export interface ContainerStateTerminated {
  exitCode: number
  reason: string
  message?: string
  startedAt?: string
  finishedAt: string
  containerID?: string
}
export interface ContainerState {
  waiting?: ContainerStateWaiting
  running?: ContainerStateRunning
  terminated?: ContainerStateTerminated
}

export interface ContainerStatus {
  name: string
  state: ContainerState
  lastState: ContainerState
  ready: boolean
  restartCount: number
  image: string
  imageID: string
  containerID?: string
  started: boolean
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed'

export interface PodCondition {
  type: string
  status: 'True' | 'False'
  reason?: string
  message?: string
  lastProbeTime: null
  lastTransitionTime: string
}

export interface PodStatus {
  phase: PodPhase
  conditions: PodCondition[]
  message?: string
  reason?: string
  hostIP: string
  hostIPs: { ip: string }[]
  podIP?: string
  podIPs?: { ip: string }[]
  startTime?: string
  initContainerStatuses?: ContainerStatus[]
  containerStatuses: ContainerStatus[]
  qosClass: string
}

/** An init container status with whether it is a sidecar (restartPolicy Always). */
export interface InitStatus {
  status: ContainerStatus
  isSidecar: boolean
}

/** kubelet's getPhase. */
export function podPhase(restartPolicy: 'Always' | 'OnFailure' | 'Never', init: InitStatus[], regular: ContainerStatus[], isTerminal: boolean): PodPhase {
  let pendingInit = 0
  let failedInit = 0
  for (const { status, isSidecar } of init) {
    const { state, lastState } = status
    if (isSidecar) {
      if (state.running !== undefined && !status.started) pendingInit++
      else if (state.waiting !== undefined && lastState.terminated === undefined) pendingInit++
      continue
    }
    if (state.terminated !== undefined && state.terminated.exitCode !== 0) failedInit++
    else if (state.waiting !== undefined && lastState.terminated !== undefined && lastState.terminated.exitCode !== 0) failedInit++
    else if (state.running !== undefined || (state.waiting !== undefined && lastState.terminated === undefined)) pendingInit++
  }
  let running = 0, waiting = 0, stopped = 0, succeeded = 0
  for (const { state, lastState } of regular) {
    if (state.running !== undefined) running++
    else if (state.terminated !== undefined) {
      stopped++
      if (state.terminated.exitCode === 0) succeeded++
    } else if (state.waiting !== undefined) {
      if (lastState.terminated !== undefined) stopped++
      else waiting++
    }
  }
  for (const { status, isSidecar } of init) if (isSidecar && status.state.running !== undefined) running++
  const hasStarted = regular.some((s) => s.state.running !== undefined || s.state.terminated !== undefined || s.lastState.terminated !== undefined)
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed'
  if ((pendingInit > 0 && !hasStarted) || waiting > 0) return 'Pending'
  if (running > 0) return 'Running'
  if (stopped > 0) {
    if (isTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed'
    if (restartPolicy === 'Always') return 'Running'
    if (stopped === succeeded) return 'Succeeded'
    if (restartPolicy === 'Never') return 'Failed'
    return 'Running'
  }
  return 'Pending'
}

/** kubelet's conditions, in the order it appends them. */
export function podConditions(input: {
  phase: PodPhase
  sandboxReady: boolean
  init: InitStatus[]
  regular: ContainerStatus[]
  since: (type: string, status: 'True' | 'False') => string
  /** spec.readinessGates' condition types: nothing here sets them, so a pod with one is never Ready */
  readinessGates?: readonly string[]
}): PodCondition[] {
  const { phase, init, regular } = input
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False'
    const c: PodCondition = { type, status, lastProbeTime: null, lastTransitionTime: input.since(type, status) }
    if (reason !== undefined) c.reason = reason
    if (message !== undefined) c.message = message
    return c
  }
  const isTerminal = phase === 'Succeeded' || phase === 'Failed'
  const incomplete = init.filter(({ status, isSidecar }) => isSidecar ? !status.started : status.state.terminated?.exitCode !== 0).map((s) => s.status.name)
  const anyStarted = regular.some((s) => s.state.running !== undefined || s.state.terminated !== undefined)
  const isInitialized = incomplete.length === 0 || anyStarted || phase === 'Succeeded'
  const unready = [...init.filter((s) => s.isSidecar).map((s) => s.status), ...regular].filter((s) => !s.ready).map((s) => s.name)
  const initialized = isInitialized
    ? cond('Initialized', true, phase === 'Succeeded' ? 'PodCompleted' : undefined)
    : cond('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${incomplete.join(' ')}]`)
  const ready = isTerminal
    ? cond('ContainersReady', false, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed')
    : unready.length === 0
      ? cond('ContainersReady', true)
      : cond('ContainersReady', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`)
  const sandbox = cond('PodReadyToStartContainers', input.sandboxReady)
  const scheduled = cond('PodScheduled', true)
  // GeneratePodReadyCondition: each gate needs a True condition of its type among those generateAPIPodStatus has made
  // by then (with no API server, only PodReadyToStartContainers and Initialized: ContainersReady and PodScheduled come after)
  const own = [sandbox, initialized]
  const unmet = (input.readinessGates ?? []).flatMap((type) => {
    const c = own.find((o) => o.type === type)
    if (c === undefined) return [`corresponding condition of pod readiness gate "${type}" does not exist.`]
    return c.status === 'True' ? [] : [`the status of pod readiness gate "${type}" is not "True", but ${c.status}`]
  })
  const podReady = ready.status === 'True' && unmet.length > 0
    ? cond('Ready', false, 'ReadinessGatesNotReady', unmet.join(', '))
    : { ...ready, type: 'Ready', lastTransitionTime: input.since('Ready', ready.status) }
  return [sandbox, initialized, podReady, ready, scheduled]
}
