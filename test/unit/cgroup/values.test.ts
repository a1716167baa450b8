import t from 'tap'
import { oomScoreAdj, podQosClass, qosClass } from '../../../src/cgroup/qos'
import {
  containerCgroupValues,
  ContainerResources,
  controllerOf,
  milliCpuToQuota,
  milliCpuToShares,
  pauseCgroupValues,
  podCgroupValues,
  sharesToWeightLinear,
  sharesToWeightRuntime,
} from '../../../src/cgroup/values'

const MI = 1024 * 1024
const c = (name: string, requests: ContainerResources['requests'], limits: ContainerResources['limits'] = {}) =>
  ({ name, requests, limits })

t.test('milliCpuToShares follows MilliCPUToShares', async (t) => {
  t.equal(milliCpuToShares(100), 102)
  t.equal(milliCpuToShares(1000), 1024)
  t.equal(milliCpuToShares(0), 2)
  t.equal(milliCpuToShares(1), 2, 'below the minimum clamps to 2')
  t.equal(milliCpuToShares(500000), 262144, 'above the maximum clamps to 262144')
})

t.test('milliCpuToQuota follows MilliCPUToQuota with a 100 ms period', async (t) => {
  t.equal(milliCpuToQuota(250), 25000)
  t.equal(milliCpuToQuota(1500), 150000)
  t.equal(milliCpuToQuota(5), 1000, 'the minimum quota is 1000 µs')
  t.equal(milliCpuToQuota(0), 0, 'no limit is no quota')
})

t.test('cpu.weight formulas', async (t) => {
  t.equal(sharesToWeightLinear(2), 1)
  t.equal(sharesToWeightLinear(1024), 39, 'kubelet linear gives 39 for one cpu')
  t.equal(sharesToWeightLinear(2048), 79)
  t.equal(sharesToWeightLinear(262144), 10000)
  t.equal(sharesToWeightRuntime(2), 1)
  t.equal(sharesToWeightRuntime(1024), 100, 'runc/crun quadratic gives 100 for one cpu')
  t.equal(sharesToWeightRuntime(102), 17)
  t.equal(sharesToWeightRuntime(262143), 10000)
  t.equal(sharesToWeightRuntime(262144), 10000)
})

t.test('qosClass follows GetPodQOS', async (t) => {
  t.equal(qosClass([c('a', {})]), 'BestEffort')
  t.equal(qosClass([c('a', { milliCpu: 500, memoryBytes: 64 * MI }, { milliCpu: 500, memoryBytes: 64 * MI })]), 'Guaranteed')
  t.equal(qosClass([c('a', {}, { milliCpu: 500, memoryBytes: 64 * MI })]), 'Guaranteed', 'requests default to limits')
  t.equal(qosClass([c('a', { milliCpu: 100 })]), 'Burstable')
  t.equal(qosClass([c('a', { milliCpu: 100 }, { milliCpu: 200, memoryBytes: MI })]), 'Burstable')
  t.equal(qosClass([c('a', {}, { milliCpu: 500 })]), 'Burstable', 'a cpu limit alone is not Guaranteed')
  t.equal(
    qosClass([c('a', {}, { milliCpu: 500, memoryBytes: MI }), c('b', {})]),
    'Burstable',
    'one container without limits makes the pod Burstable',
  )
  t.equal(qosClass([c('a', { milliCpu: 0, memoryBytes: 0 })]), 'BestEffort', 'zero counts as unset')
})

/** kubelet's memory.oom.group and swapBehavior NoSwap, on every container (not declared: written where the file exists) */
const KUBELET_ANYWAY = { 'memory.oom.group': '1', 'memory.swap.max': '0' }

t.test('container leaf values (runtime formula)', async (t) => {
  t.same(containerCgroupValues(c('a', { milliCpu: 250 }, { milliCpu: 500, memoryBytes: 128 * MI })), {
    files: { 'cpu.weight': '35', 'cpu.max': '50000 100000', 'memory.max': '134217728', ...KUBELET_ANYWAY },
    declared: ['cpu.weight', 'cpu.max', 'memory.max'],
  })
  t.same(containerCgroupValues(c('a', {})), { files: { 'cpu.weight': '1', ...KUBELET_ANYWAY }, declared: [] }, 'no limits: the OOM group and no swap still')
  t.same(
    containerCgroupValues(c('a', {}, { milliCpu: 1000 })).files,
    { 'cpu.weight': '100', 'cpu.max': '100000 100000', ...KUBELET_ANYWAY },
    'cpu shares default to the limit',
  )
  t.same(
    containerCgroupValues(c('a', {}, { milliCpu: 1000 }), { isCpuCfsQuota: false }).files,
    { 'cpu.weight': '100', ...KUBELET_ANYWAY },
    'cpuCFSQuota=false writes no quota',
  )
  t.same(pauseCgroupValues(), { files: { 'cpu.weight': '1' }, declared: [] })
})

t.test('container memory QoS (opt-in)', async (t) => {
  const v = containerCgroupValues(c('a', { memoryBytes: 100 * MI }, { memoryBytes: 200 * MI }), { memoryQos: {} })
  t.equal(v.files['memory.min'], String(100 * MI))
  t.equal(v.files['memory.high'], String(190 * MI), 'request + 0.9 × (limit − request), page aligned')
  const g = containerCgroupValues(c('a', { memoryBytes: 100 * MI }, { memoryBytes: 100 * MI }), { memoryQos: {} })
  t.notOk('memory.high' in g.files, 'no memory.high when request equals limit')
  const n = containerCgroupValues(c('a', { memoryBytes: MI }), { memoryQos: { nodeAllocatableBytes: 1001 * MI } })
  t.equal(n.files['memory.high'], String(901 * MI), 'node allocatable stands in for a missing limit')
  t.notOk('memory.min' in containerCgroupValues(c('a', { memoryBytes: MI })).files, 'off by default')
})

t.test('pod values: Guaranteed gets shares, quota and memory (linear weight)', async (t) => {
  const pod = {
    containers: [
      c('a', {}, { milliCpu: 500, memoryBytes: 64 * MI }),
      c('b', {}, { milliCpu: 1500, memoryBytes: 64 * MI }),
    ],
  }
  t.same(podCgroupValues(pod), {
    files: { 'cpu.weight': '79', 'cpu.max': '200000 100000', 'memory.max': String(128 * MI), 'pids.max': 'max' },
    declared: ['cpu.weight', 'cpu.max', 'memory.max'],
  })
})

t.test('pod values: Burstable sets quota and memory only when every container has the limit', async (t) => {
  const partial = podCgroupValues({
    containers: [c('a', { milliCpu: 100 }, { milliCpu: 200 }), c('b', { memoryBytes: MI }, { memoryBytes: 2 * MI })],
  })
  t.same(partial.files, { 'cpu.weight': '4', 'pids.max': 'max' })
  const full = podCgroupValues({
    containers: [c('a', { milliCpu: 100 }, { milliCpu: 200, memoryBytes: MI }), c('b', {}, { milliCpu: 300, memoryBytes: MI })],
  })
  t.same(full.files, { 'cpu.weight': '16', 'cpu.max': '50000 100000', 'memory.max': String(2 * MI), 'pids.max': 'max' })
})

t.test('pod values: BestEffort gets shares 2, pids limit from podPidsLimit', async (t) => {
  t.same(podCgroupValues({ containers: [c('a', {})] }), { files: { 'cpu.weight': '1', 'pids.max': 'max' }, declared: [] })
  t.same(podCgroupValues({ containers: [c('a', {})] }, { pidsLimit: 1024 }).files['pids.max'], '1024')
  t.same(podCgroupValues({ containers: [c('a', {})] }, { pidsLimit: -1 }).files['pids.max'], 'max')
})

t.test('pod values: max of init containers against the sum of app containers', async (t) => {
  const lim = (m: number) => ({ milliCpu: m, memoryBytes: m * MI })
  const big = podCgroupValues({
    initContainers: [c('init', {}, lim(3000))],
    containers: [c('a', {}, lim(500)), c('b', {}, lim(500))],
  })
  t.equal(big.files['cpu.max'], '300000 100000', 'the largest init container wins')
  t.equal(big.files['memory.max'], String(3000 * MI))
  const small = podCgroupValues({
    initContainers: [c('init', {}, lim(100))],
    containers: [c('a', {}, lim(500)), c('b', {}, lim(500))],
  })
  t.equal(small.files['cpu.max'], '100000 100000', 'the app sum wins')
  const sidecar = podCgroupValues({
    initContainers: [{ ...c('side', {}, lim(200)), isSidecar: true }, c('init', {}, lim(1000))],
    containers: [c('a', {}, lim(500))],
  })
  t.equal(sidecar.files['cpu.max'], '120000 100000', 'an init container runs beside the sidecars started before it')
  t.equal(podCgroupValues({
    initContainers: [c('init', {}, lim(100))],
    containers: [c('a', {})],
  }).files['cpu.max'], undefined, 'an app container without a limit means no pod quota')
})

t.test('pod values: an init container counts as declaring a limit its earlier sidecars declare (PodLimits ContainerFn)', async (t) => {
  const side = { ...c('side', {}, { milliCpu: 200, memoryBytes: 64 * MI }), isSidecar: true }
  const v = podCgroupValues({
    initContainers: [side, c('init', {}, { memoryBytes: 32 * MI })],
    containers: [c('a', {}, { milliCpu: 500, memoryBytes: 128 * MI })],
  })
  t.equal(v.files['cpu.max'], '70000 100000', 'init is seen with the sidecar\'s 200m: every container declares cpu')
  t.equal(v.files['memory.max'], String(192 * MI))
  const later = podCgroupValues({
    initContainers: [side, { ...c('side2', {}, { memoryBytes: MI }), isSidecar: true }],
    containers: [c('a', {}, { milliCpu: 500, memoryBytes: MI })],
  })
  t.equal(later.files['cpu.max'], '70000 100000', 'a later sidecar is seen with the earlier ones')
  const first = podCgroupValues({
    initContainers: [c('init', {}, { memoryBytes: 32 * MI }), side],
    containers: [c('a', {}, { milliCpu: 500, memoryBytes: 128 * MI })],
  })
  t.equal(first.files['cpu.max'], undefined, 'an init container before the sidecar declares nothing: no pod quota')
})

t.test('pod memory QoS sets memory.min to the summed requests', async (t) => {
  const v = podCgroupValues({ containers: [c('a', { memoryBytes: MI }), c('b', { memoryBytes: MI })] }, { memoryQos: {} })
  t.equal(v.files['memory.min'], String(2 * MI))
})

t.test('oomScoreAdj follows kubelet policy', async (t) => {
  const machine = 1000 * MI
  t.equal(oomScoreAdj('Guaranteed', 10 * MI, machine), -997)
  t.equal(oomScoreAdj('BestEffort', 0, machine), 1000)
  t.equal(oomScoreAdj('Burstable', 100 * MI, machine), 900)
  t.equal(oomScoreAdj('Burstable', 0, machine), 999, 'a Burstable container stays below BestEffort')
  t.equal(oomScoreAdj('Burstable', 999 * MI, machine), 3, 'and above Guaranteed')
  t.equal(oomScoreAdj('Burstable', 2000 * MI, machine), 3)
})

t.test('controllerOf names the controller of a file', async (t) => {
  t.equal(controllerOf('cpu.weight'), 'cpu')
  t.equal(controllerOf('memory.max'), 'memory')
  t.equal(controllerOf('pids.max'), 'pids')
  t.throws(() => controllerOf('io.max'), /find controller of cgroup file "io.max"/)
})

t.test('podQosClass counts init containers, with requests defaulted to limits', (t) => {
  const guaranteed = { name: 'app', requests: {}, limits: { milliCpu: 500, memoryBytes: 64 << 20 } }
  const bare = { name: 'init', requests: {}, limits: {} }
  t.equal(podQosClass({ containers: [guaranteed] }), 'Guaranteed', 'limits alone make requests: Guaranteed')
  t.equal(podQosClass({ containers: [guaranteed], initContainers: [bare] }), 'Burstable', 'a bare init container makes the pod Burstable')
  t.equal(podQosClass({ containers: [bare], initContainers: [bare] }), 'BestEffort')
  t.end()
})
