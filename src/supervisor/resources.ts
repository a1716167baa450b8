// Kubernetes resources of the pod's containers as plain numbers for the
// cgroup values (milli-CPU and bytes, rounded up as Quantity does).
import type { DefaultedContainer, DefaultedPod, ResourceList } from '../spec/types'
import { parseQuantity } from '../spec/quantity'
import type { ContainerResources, InitContainerResources, ResourceAmounts } from '../cgroup/values'

function amounts(list: ResourceList): ResourceAmounts {
  const out: ResourceAmounts = {}
  if (list.cpu !== undefined) out.milliCpu = Number(parseQuantity(list.cpu).milliValue())
  if (list.memory !== undefined) out.memoryBytes = Number(parseQuantity(list.memory).value())
  return out
}

export function resourcesOf(c: DefaultedContainer): ContainerResources {
  return { name: c.name, requests: amounts(c.resources.requests), limits: amounts(c.resources.limits) }
}

export function containerResources(pod: DefaultedPod): ContainerResources[] {
  return pod.spec.containers.map(resourcesOf)
}

export function initContainerResources(pod: DefaultedPod): InitContainerResources[] {
  return pod.spec.initContainers.map((c) => ({ ...resourcesOf(c), isSidecar: c.restartPolicy === 'Always' }))
}
