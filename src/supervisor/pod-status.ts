// Assembles the v1 PodStatus from the supervisor's container records:
// phase, conditions (with stable lastTransitionTimes), container statuses
// and the QoS class.
import { networkInterfaces } from 'node:os'
import type { DefaultedPod } from '../spec/types'
import type { ContainerRecord } from './container-record'
import { podConditions, podPhase, type PodStatus } from './status'
import { podQosClass } from '../cgroup/values'
import { containerResources, initContainerResources } from './resources'
import { rfc3339 } from '../utc-time'

export function buildPodStatus(input: {
  pod: DefaultedPod
  init: ContainerRecord[]
  regular: ContainerRecord[]
  startTime: Date | undefined
  sandboxReady: boolean
  isTerminal: boolean
  /** condition type → [status, time]: kept across calls so transition times stay put */
  transitions: Map<string, string>
  now: Date
  /** status.hostIP: firstHostAddress(), looked up once by the caller */
  hostIP: string
}): PodStatus {
  const { pod } = input
  const init = input.init.map((r) => ({ status: r.status(), isSidecar: r.kind === 'sidecar' }))
  const regular = input.regular.map((r) => r.status())
  const phase = podPhase(pod.spec.restartPolicy, init, regular, input.isTerminal)
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
    conditions: podConditions({ phase, sandboxReady: input.sandboxReady, init, regular, since }),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    containerStatuses: regular,
    qosClass: podQosClass({ containers: containerResources(pod), initContainers: initContainerResources(pod) }),
  }
  if (input.startTime !== undefined) status.startTime = rfc3339(input.startTime)
  if (init.length > 0) status.initContainerStatuses = init.map((i) => i.status)
  return status
}

/** The node's first non-internal IPv4 address (status.hostIP), else loopback. */
export function firstHostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return '127.0.0.1'
}
