// cgroup v2 values for a pod and its containers, computed the way kubelet
// (pkg/kubelet/cm/helpers_linux.go, kuberuntime_container_linux.go,
// pkg/kubelet/qos/policy.go) and the OCI runtime compute them.
// Pure: numbers in, cgroup file name → value string out. Quantities are
// converted to plain numbers (milli-CPU, bytes) by the caller.
//
// cpu.weight, one formula per level:
// - pod cgroup: kubelet's linear `1 + ((shares - 2) * 9999) / 262142`
//   (integer division; >= 262144 → 10000), as kubelet writes its own pod
//   cgroups (cgroup_manager_linux.go getCPUWeight).
// - container leaves and pause: the runtime's formula since runc 1.3.2 and
//   crun 1.23, `ceil(10^((L² + 125L)/612 − 7/34))` with L = log2(shares),
//   clamped to [1, 10000] (maps 1024 → 100, where the linear one gives 39).
// Shares come from MilliCPUToShares (clamped [2, 262144]); cpu.max from
// MilliCPUToQuota with a 100000 µs period and a 1000 µs minimum.
// cgroups(7), Documentation/admin-guide/cgroup-v2.rst

import { allContainers, isSet, qosClass, withDefaultRequests } from './qos'

export type CgroupController = 'cpu' | 'memory' | 'pids'

export interface ResourceAmounts {
  milliCpu?: number
  memoryBytes?: number
}

export interface ContainerResources {
  name: string
  requests: ResourceAmounts
  limits: ResourceAmounts
}

export interface InitContainerResources extends ContainerResources {
  /** an init container with restartPolicy Always (KEP-753 sidecar) */
  isSidecar?: boolean
}

export interface PodResources {
  containers: ContainerResources[]
  initContainers?: InitContainerResources[]
}

/** The files to write in one cgroup directory. */
export interface CgroupValues {
  /** cgroup file name → value, e.g. { 'cpu.max': '50000 100000' } */
  files: Record<string, string>
  /**
   * The files whose value comes from something the manifest declares (a
   * request, a limit, a pids limit). The rest are what kubelet and the
   * runtime write anyway (weight 1 for no request, pids.max "max"): they
   * are written where possible but not worth a warning when they cannot be.
   */
  declared: string[]
}

export interface ValuesOptions {
  /** kubelet cpuCFSQuota; false leaves cpu.max at "max" (default true) */
  isCpuCfsQuota?: boolean
  /** MemoryQoS (KEP-2570), off by default as in kubelet */
  memoryQos?: MemoryQosOptions
}

export interface MemoryQosOptions {
  /** the node's allocatable memory: memory.high's base when no limit */
  nodeAllocatableBytes?: number
  pageSizeBytes?: number
  /** kubelet's DefaultMemoryThrottlingFactor */
  throttlingFactor?: number
}

export interface PodValuesOptions extends ValuesOptions {
  /** kubelet podPidsLimit; -1 (the default) or 0 means unlimited */
  pidsLimit?: number
}

export const CPU_PERIOD_US = 100000
export const MIN_QUOTA_US = 1000
export const MIN_SHARES = 2
export const MAX_SHARES = 262144
export const MAX_WEIGHT = 10000
const PAGE_SIZE_BYTES = 4096
const MEMORY_THROTTLING_FACTOR = 0.9

/** MilliCPUToShares: milli*1024/1000 clamped to [2, 262144]; 0 → 2. */
export const milliCpuToShares = (milliCpu: number): number => {
  if (milliCpu <= 0) return MIN_SHARES
  const shares = Math.floor((milliCpu * 1024) / 1000)
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares))
}

/** MilliCPUToQuota: 0 for no limit, else milli*period/1000, at least 1000 µs. */
export const milliCpuToQuota = (milliCpu: number, periodUs = CPU_PERIOD_US): number => {
  if (milliCpu <= 0) return 0
  return Math.max(MIN_QUOTA_US, Math.floor((milliCpu * periodUs) / 1000))
}

/** kubelet's linear shares → cpu.weight (pod level). */
export const sharesToWeightLinear = (shares: number): number => {
  if (shares >= MAX_SHARES) return MAX_WEIGHT
  return 1 + Math.floor(((Math.max(shares, MIN_SHARES) - 2) * 9999) / 262142)
}

/** runc ≥ 1.3.2 / crun ≥ 1.23 shares → cpu.weight (container level). */
export const sharesToWeightRuntime = (shares: number): number => {
  if (shares <= MIN_SHARES) return 1
  if (shares >= MAX_SHARES) return MAX_WEIGHT
  const l = Math.log2(shares)
  return Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34))
}

/** "<quota> <period>", or "max <period>" for no quota (as libcontainer). */
export const formatCpuMax = (quotaUs: number, periodUs = CPU_PERIOD_US): string =>
  `${quotaUs > 0 ? quotaUs : 'max'} ${periodUs}`

/** The controller a cgroup interface file belongs to. */
export const controllerOf = (file: string): CgroupController => {
  const prefix = file.slice(0, file.indexOf('.'))
  if (prefix === 'cpu' || prefix === 'memory' || prefix === 'pids') return prefix
  throw new Error(`find controller of cgroup file "${file}": not a cpu, memory or pids file`)
}


type PickAmounts = (c: ContainerResources) => ResourceAmounts
type AmountKey = keyof ResourceAmounts

interface Aggregate {
  total: Required<ResourceAmounts>
  /**
   * Whether every container declares the amount, as PodLimits' ContainerFn
   * sees it: an init container is seen together with the sidecars started
   * before it, a sidecar with those and itself.
   */
  isEverywhere: Record<AmountKey, boolean>
}

/**
 * PodRequests/PodLimits: the sum over app containers and sidecars against
 * the largest init container (plus the sidecars started before it).
 */
const aggregate = (pod: PodResources, pick: PickAmounts): Aggregate => {
  const keys = ['milliCpu', 'memoryBytes'] as const
  const total = { milliCpu: 0, memoryBytes: 0 }
  const sidecars = { milliCpu: 0, memoryBytes: 0 }
  const initMax = { milliCpu: 0, memoryBytes: 0 }
  const isEverywhere = { milliCpu: true, memoryBytes: true }
  for (const c of pod.containers) {
    for (const k of keys) {
      const own = pick(c)[k] ?? 0
      total[k] += own
      if (own <= 0) isEverywhere[k] = false
    }
  }
  for (const c of pod.initContainers ?? []) {
    for (const k of keys) {
      const own = pick(c)[k] ?? 0
      if (c.isSidecar) {
        total[k] += own
        sidecars[k] += own
      }
      const seen = c.isSidecar ? sidecars[k] : own + sidecars[k]
      if (seen <= 0) isEverywhere[k] = false
      initMax[k] = Math.max(initMax[k], seen)
    }
  }
  for (const k of keys) total[k] = Math.max(total[k], initMax[k])
  return { total, isEverywhere }
}

const memoryQosFiles = (
  files: Record<string, string>, request: number, limit: number, qos: MemoryQosOptions,
): void => {
  if (request > 0) files['memory.min'] = String(request)
  if (request === limit) return
  const base = limit > 0 ? limit : qos.nodeAllocatableBytes ?? 0
  if (base <= 0) return
  const page = qos.pageSizeBytes ?? PAGE_SIZE_BYTES
  const factor = qos.throttlingFactor ?? MEMORY_THROTTLING_FACTOR
  const high = Math.floor((request + factor * (base - request)) / page) * page
  if (high > request) files['memory.high'] = String(high)
}

/** The leaf of one app or init container (what the runtime would write). */
export const containerCgroupValues = (raw: ContainerResources, opts: ValuesOptions = {}): CgroupValues => {
  const c = withDefaultRequests(raw)
  const files: Record<string, string> = {}
  const declared: string[] = []
  files['cpu.weight'] = String(sharesToWeightRuntime(milliCpuToShares(c.requests.milliCpu ?? 0)))
  if (isSet(c.requests.milliCpu)) declared.push('cpu.weight')
  if (isSet(c.limits.milliCpu) && opts.isCpuCfsQuota !== false) {
    files['cpu.max'] = formatCpuMax(milliCpuToQuota(c.limits.milliCpu))
    declared.push('cpu.max')
  }
  if (isSet(c.limits.memoryBytes)) {
    files['memory.max'] = String(c.limits.memoryBytes)
    declared.push('memory.max')
  }
  if (opts.memoryQos) {
    memoryQosFiles(files, c.requests.memoryBytes ?? 0, c.limits.memoryBytes ?? 0, opts.memoryQos)
    declared.push(...['memory.min', 'memory.high'].filter((f) => f in files))
  }
  Object.assign(files, CONTAINER_MEMORY_DEFAULTS)
  return { files, declared }
}

/**
 * What kubelet has the runtime write on every container's cgroup v2 leaf,
 * limit or not (kuberuntime_container_linux.go): memory.oom.group 1, so an
 * OOM kill takes the container's whole process tree (singleProcessOOMKill
 * defaults to false on cgroup v2), and memory.swap.max 0, swapBehavior
 * NoSwap, where the kernel accounts swap (the file exists only then).
 */
const CONTAINER_MEMORY_DEFAULTS: Readonly<Record<string, string>> = { 'memory.oom.group': '1', 'memory.swap.max': '0' }

/** The pause leaf: containerd's sandbox shares (2), no limits. */
export const pauseCgroupValues = (): CgroupValues => ({
  files: { 'cpu.weight': String(sharesToWeightRuntime(MIN_SHARES)) },
  declared: [],
})

/** ResourceConfigForPod, plus pids.max from kubelet's podPidsLimit. */
export const podCgroupValues = (pod: PodResources, opts: PodValuesOptions = {}): CgroupValues => {
  const normalized: PodResources = {
    containers: pod.containers.map(withDefaultRequests),
    initContainers: pod.initContainers?.map(withDefaultRequests),
  }
  const qos = qosClass(allContainers(normalized))
  const requests = aggregate(normalized, (c) => c.requests).total
  const { total: limits, isEverywhere: isLimitEverywhere } = aggregate(normalized, (c) => c.limits)
  const isCpuLimitEverywhere = isLimitEverywhere.milliCpu
  const isMemoryLimitEverywhere = isLimitEverywhere.memoryBytes
  const files: Record<string, string> = {}
  const declared: string[] = []
  const shares = qos === 'BestEffort' ? MIN_SHARES : milliCpuToShares(requests.milliCpu)
  files['cpu.weight'] = String(sharesToWeightLinear(shares))
  if (requests.milliCpu > 0 && qos !== 'BestEffort') declared.push('cpu.weight')
  const quota = opts.isCpuCfsQuota === false ? -1 : milliCpuToQuota(limits.milliCpu)
  if (qos === 'Guaranteed' || (qos === 'Burstable' && isCpuLimitEverywhere)) {
    files['cpu.max'] = formatCpuMax(quota)
    if (quota > 0) declared.push('cpu.max')
  }
  if ((qos === 'Guaranteed' || (qos === 'Burstable' && isMemoryLimitEverywhere)) && limits.memoryBytes > 0) {
    files['memory.max'] = String(limits.memoryBytes)
    declared.push('memory.max')
  }
  if (opts.memoryQos && requests.memoryBytes > 0) {
    files['memory.min'] = String(requests.memoryBytes)
    declared.push('memory.min')
  }
  const pids = opts.pidsLimit ?? -1
  files['pids.max'] = pids > 0 ? String(pids) : 'max'
  if (pids > 0) declared.push('pids.max')
  return { files, declared }
}
