// The downward API's resourceFieldRef, as kubelet computes it
// (pkg/api/v1/resource/helpers.go ExtractContainerResourceValue, and
// kubelet_resources.go defaultPodLimitsForDownwardAPI): a cpu, memory or
// ephemeral-storage limit the container does not set is the node's
// allocatable amount; the value is divided by the divisor (1 when unset or
// 0) and rounded up, cpu in millicores, the rest in whole units.
import { statfsSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import type { DefaultedContainer, DefaultedPod, ResourceFieldSelector } from '../spec/types'
import { parseQuantity } from '../spec/quantity'
import { ContainerConfigError } from './container-config-error'

/** What this host offers pods, as kubelet's node allocatable would be with no reservations. */
export interface NodeAllocatable {
  /** in millicores: every online CPU */
  milliCpu: bigint
  /** MemTotal less kubelet's default hard eviction threshold (memory.available<100Mi) */
  memoryBytes: bigint
  /** the data root's filesystem less kubelet's default nodefs.available<10% */
  ephemeralStorageBytes: bigint
}

const EVICTION_MEMORY_BYTES = 100n * 1024n * 1024n
const EVICTION_NODEFS_PERCENT = 10n

/** The node's allocatable memory as kubelet has it with no reservations: MemTotal less the memory.available<100Mi hard eviction threshold. */
export function allocatableMemoryBytes(): number {
  return Math.max(0, totalmem() - Number(EVICTION_MEMORY_BYTES))
}

/** This host's allocatable amounts; `dataRoot` stands for kubelet's root directory (the ephemeral storage). */
export function hostAllocatable(dataRoot: string): NodeAllocatable {
  let storage = 0n
  try {
    const fs = statfsSync(dataRoot, { bigint: true })
    storage = fs.blocks * fs.bsize
  } catch {
    // no such filesystem: nothing allocatable
  }
  return {
    milliCpu: BigInt(cpus().length) * 1000n,
    memoryBytes: BigInt(allocatableMemoryBytes()),
    ephemeralStorageBytes: storage - (storage * EVICTION_NODEFS_PERCENT) / 100n,
  }
}

const ALLOCATABLE_OF: Readonly<Record<string, (n: NodeAllocatable) => bigint>> = {
  cpu: (n) => n.milliCpu,
  memory: (n) => n.memoryBytes,
  'ephemeral-storage': (n) => n.ephemeralStorageBytes,
}

/**
 * The value of `ref` for `container` (or the pod's container it names):
 * e.g. limits.cpu with divisor 1m → "500".
 * @throws ContainerConfigError naming a containerName the pod does not have
 */
export function resourceFieldValue(ref: ResourceFieldSelector, pod: DefaultedPod, container: DefaultedContainer, node: () => NodeAllocatable): string {
  let target = container
  // defaultPodLimitsForDownwardAPI fills in the limits of the container itself and of the pod's app containers;
  // a containerName is looked up in that defaulted pod, where an init container has none, even naming itself
  let isDefaulted = true
  if (ref.containerName !== undefined && ref.containerName !== '') {
    const app = pod.spec.containers.find((c) => c.name === ref.containerName)
    const found = app ?? pod.spec.initContainers.find((c) => c.name === ref.containerName)
    if (found === undefined) throw new ContainerConfigError(`container ${ref.containerName} not found`)
    isDefaulted = app !== undefined
    target = found
  }
  const dot = ref.resource.indexOf('.')
  const kind = ref.resource.slice(0, dot)
  const name = ref.resource.slice(dot + 1)
  if (kind !== 'limits' && kind !== 'requests') throw new ContainerConfigError(`unsupported container resource : ${ref.resource}`)
  const text = target.resources[kind][name]
  const isCpu = name === 'cpu'
  let amount = text === undefined ? 0n : isCpu ? parseQuantity(text).milliValue() : parseQuantity(text).value()
  const allocatable = ALLOCATABLE_OF[name]
  if (kind === 'limits' && amount === 0n && isDefaulted && allocatable !== undefined) amount = allocatable(node())
  const divisor = ref.divisor === undefined ? undefined : parseQuantity(ref.divisor)
  const isUnset = divisor === undefined || divisor.nanos === 0n
  const per = isCpu ? (isUnset ? 1000n : divisor.milliValue()) : isUnset ? 1n : divisor.value()
  return String(ceilDiv(amount, per))
}

function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d
  return q * d === n || n < 0n ? q : q + 1n
}
