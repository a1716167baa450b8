// The pod's QoS class and what follows from it, as kubelet computes them
// (pkg/apis/core/v1/helper/qos GetPodQOS, pkg/kubelet/qos/policy.go
// GetContainerOOMScoreAdjust), over the plain numbers of values.ts. Pure.
import type { ContainerResources, PodResources } from './values'

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort'

export const GUARANTEED_OOM_SCORE_ADJ = -997
export const BEST_EFFORT_OOM_SCORE_ADJ = 1000

/** A request or limit that counts: set and above zero. */
export const isSet = (v: number | undefined): v is number => v !== undefined && v > 0

/**
 * Requests default to limits where only a limit is given, as the API
 * server's defaulting does (and kubelet repeats for cpu shares).
 */
export const withDefaultRequests = <T extends ContainerResources>(c: T): T => ({
  ...c,
  requests: {
    milliCpu: isSet(c.requests.milliCpu) ? c.requests.milliCpu : c.limits.milliCpu,
    memoryBytes: isSet(c.requests.memoryBytes) ? c.requests.memoryBytes : c.limits.memoryBytes,
  },
})

/** GetPodQOS over every container of the pod (init and app); zero counts as unset. */
export const qosClass = (containers: readonly ContainerResources[]): QosClass => {
  let hasAny = false
  let isGuaranteed = true
  const req = { milliCpu: 0, memoryBytes: 0 }
  const lim = { milliCpu: 0, memoryBytes: 0 }
  for (const raw of containers) {
    const c = withDefaultRequests(raw)
    for (const key of ['milliCpu', 'memoryBytes'] as const) {
      if (isSet(c.requests[key])) { req[key] += c.requests[key]; hasAny = true }
      if (isSet(c.limits[key])) { lim[key] += c.limits[key]; hasAny = true } else isGuaranteed = false
    }
  }
  if (!hasAny) return 'BestEffort'
  return isGuaranteed && req.milliCpu === lim.milliCpu && req.memoryBytes === lim.memoryBytes
    ? 'Guaranteed'
    : 'Burstable'
}

export const allContainers = (pod: PodResources): ContainerResources[] =>
  [...(pod.initContainers ?? []), ...pod.containers]

/** The pod's QoS class over all its containers, init containers included (kubelet's GetPodQOS). */
export const podQosClass = (pod: PodResources): QosClass =>
  qosClass(allContainers({ containers: pod.containers.map(withDefaultRequests), initContainers: pod.initContainers?.map(withDefaultRequests) }))

/**
 * GetContainerOOMScoreAdjust: Guaranteed −997, BestEffort 1000, Burstable
 * `1000 − 1000*request/machine` kept within [3, 999] (above any Guaranteed
 * container, below BestEffort).
 */
export const oomScoreAdj = (qos: QosClass, memoryRequestBytes: number, machineMemoryBytes: number): number => {
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ
  const adj = machineMemoryBytes > 0
    ? 1000 - Math.trunc((1000 * memoryRequestBytes) / machineMemoryBytes)
    : 1000
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ
  if (adj === BEST_EFFORT_OOM_SCORE_ADJ) return adj - 1
  return adj
}
