// Assembles the v1 PodStatus from the supervisor's container records:
// phase, conditions (with stable lastTransitionTimes), container statuses,
// the pod's IPs and the QoS class.
import { networkInterfaces } from 'node:os'
import type { DefaultedPod } from '../spec/types'
import type { ContainerRecord } from './container-record'
import { podConditions, podPhase, type PodStatus } from './status'
import { podQosClass } from '../cgroup/qos'
import { containerResources, initContainerResources } from './resources'
import { rfc3339 } from '../utc-time'
import { POD_LOOPBACK_IP } from '../sandbox/process-spec'

export function buildPodStatus(input: {
  pod: DefaultedPod
  init: ContainerRecord[]
  regular: ContainerRecord[]
  startTime: Date | undefined
  /** the pod failed as a whole (kubelet's eviction result, e.g. DeadlineExceeded): phase Failed with this reason and message */
  failure?: { reason: string; message: string }
  sandboxReady: boolean
  isTerminal: boolean
  /** condition type → [status, time]: kept across calls so transition times stay put */
  transitions: Map<string, string>
  now: Date
  /** status.hostIP: firstHostAddress() */
  hostIP: string
}): PodStatus {
  const { pod } = input
  const init = input.init.map((r) => ({ status: r.status(), isSidecar: r.kind === 'sidecar' }))
  const regular = input.regular.map((r) => r.status())
  const phase = input.failure !== undefined ? 'Failed' : podPhase(pod.spec.restartPolicy, init, regular, input.isTerminal)
  const since = (type: string, status: string): string => {
    const previous = input.transitions.get(type)
    if (previous !== undefined && previous.startsWith(`${status} `)) return previous.slice(status.length + 1)
    const time = rfc3339(input.now)
    input.transitions.set(type, `${status} ${time}`)
    return time
  }
  const { hostIP } = input
  const status: PodStatus = {
    phase,
    conditions: podConditions({ phase, sandboxReady: input.sandboxReady, init, regular, since, readinessGates: (pod.spec.readinessGates ?? []).map((g) => g.conditionType) }),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    containerStatuses: regular,
    qosClass: podQosClass({ containers: containerResources(pod), initContainers: initContainerResources(pod) }),
  }
  if (input.failure !== undefined) {
    status.message = input.failure.message
    status.reason = input.failure.reason
  }
  if (input.startTime !== undefined) {
    // as kubelet: the sandbox's IP from its start on (kept after it is gone); a hostNetwork pod has the node's.
    // The pod has only loopback: 127.0.0.1 is where its containers are reached, as the downward API's status.podIP says
    const podIP = pod.spec.hostNetwork ? hostIP : POD_LOOPBACK_IP
    status.podIP = podIP
    status.podIPs = [{ ip: podIP }]
    status.startTime = rfc3339(input.startTime)
  }
  if (init.length > 0) status.initContainerStatuses = init.map((i) => i.status)
  return status
}

let hostAddress: string | undefined

/**
 * The node's first non-internal IPv4 address (status.hostIP), else
 * loopback: looked up once, so the pod's status and its containers'
 * downward API tell the same address.
 */
export function firstHostAddress(): string {
  return (hostAddress ??= lookUpHostAddress())
}

function lookUpHostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}

/**
 * `podshim run`'s exit code from the pod's end: 0 when it succeeded or was
 * stopped cleanly on request; 1 when it failed as a whole (a reason of the
 * pod's own, DeadlineExceeded: the codes of the containers it killed then
 * say nothing of them); else the first failed container's (its start
 * failure's 125-127 included; sidecars do not count), else 1.
 */
export function runExitCode(status: Pick<PodStatus, 'phase' | 'reason'>, isCleanStop: boolean, records: readonly ContainerRecord[]): number {
  if (status.phase === 'Succeeded' || isCleanStop) return 0
  if (status.reason !== undefined) return 1
  const failed = records.find((r) => r.state.terminated !== undefined && r.state.terminated.exitCode !== 0 && r.kind !== 'sidecar')
  return failed?.runExitCode ?? 1
}
