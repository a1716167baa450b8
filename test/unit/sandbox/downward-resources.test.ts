import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { loadPod } from '../../../src/spec'
import { hostAllocatable, resourceFieldValue, type NodeAllocatable } from '../../../src/sandbox/downward-resources'
import { ContainerConfigError } from '../../../src/sandbox/container-config-error'
import type { ResourceFieldSelector } from '../../../src/spec/types'

const GI = 1024n ** 3n
const NODE: NodeAllocatable = { milliCpu: 4000n, memoryBytes: 8n * GI, ephemeralStorageBytes: 90n * GI }

const pod = loadPod(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: setup, image: x, resources: {limits: {cpu: 250m}}}
  containers:
  - name: app
    image: x
    resources:
      requests: {cpu: 250m, memory: 64Mi, ephemeral-storage: 1G}
      limits: {cpu: 1500m, memory: 128Mi, hugepages-2Mi: 4Mi}
  - {name: bare, image: x}
`, 'test', { newUid: () => 'u' }).pod

const [app, bare] = pod.spec.containers
const value = (ref: ResourceFieldSelector, container = app): string => resourceFieldValue(ref, pod, container, () => NODE)

t.test('cpu in cores rounded up, or in millicores with divisor 1m', async (t) => {
  t.equal(value({ resource: 'limits.cpu' }), '2', '1500m → 2 cores, rounded up')
  t.equal(value({ resource: 'limits.cpu', divisor: '1m' }), '1500')
  t.equal(value({ resource: 'requests.cpu', divisor: '1m' }), '250')
  t.equal(value({ resource: 'requests.cpu', divisor: '0' }), '1', 'divisor 0 (kubectl get writes "0" for an unset one) is 1')
  t.equal(value({ resource: 'limits.cpu', divisor: '1000m' }), '2', '1000m is 1')
})

t.test('memory, ephemeral storage and hugepages in whole units of the divisor, rounded up', async (t) => {
  t.equal(value({ resource: 'limits.memory' }), String(128n * 1024n * 1024n))
  t.equal(value({ resource: 'limits.memory', divisor: '1Mi' }), '128')
  t.equal(value({ resource: 'requests.memory', divisor: '1M' }), '68', '64Mi = 67.1 MB → 68')
  t.equal(value({ resource: 'requests.ephemeral-storage', divisor: '1Gi' }), '1', '1G → 0.93 Gi → 1')
  t.equal(value({ resource: 'limits.hugepages-2Mi', divisor: '1Mi' }), '4')
  t.equal(value({ resource: 'requests.hugepages-2Mi', divisor: '1Mi' }), '4', 'the request defaulted to the limit, as the API defaults it')
  t.equal(value({ resource: 'requests.hugepages-1Gi' }), '0', 'no such request: 0')
})

t.test('a limit the container does not set is the node allocatable; a missing request is 0', async (t) => {
  t.equal(value({ resource: 'limits.cpu' }, bare), '4')
  t.equal(value({ resource: 'limits.memory', divisor: '1Gi' }, bare), '8')
  t.equal(value({ resource: 'limits.ephemeral-storage', divisor: '1Gi' }, bare), '90')
  t.equal(value({ resource: 'limits.ephemeral-storage', divisor: '1Gi' }), '90', 'the app sets no ephemeral-storage limit either')
  t.equal(value({ resource: 'requests.cpu', divisor: '1m' }, bare), '0')
})

t.test('containerName reads another container of the pod, as kubelet defaults it', async (t) => {
  t.equal(value({ resource: 'limits.cpu', divisor: '1m', containerName: 'app' }, bare), '1500')
  t.equal(value({ resource: 'limits.memory', divisor: '1Gi', containerName: 'bare' }, app), '8', 'an app container\'s missing limit is defaulted')
  t.equal(value({ resource: 'limits.memory', containerName: 'setup' }, app), '0', 'an init container named from another is not (defaultPodLimitsForDownwardAPI merges only app containers)')
  t.equal(value({ resource: 'limits.memory', divisor: '1Gi' }, pod.spec.initContainers[0]), '8', 'but the container itself is, when it names none')
  t.equal(value({ resource: 'limits.memory', containerName: 'setup' }, pod.spec.initContainers[0]), '0', 'naming itself, it is looked up in the defaulted pod, where init containers are not')
  t.throws(() => value({ resource: 'limits.cpu', containerName: 'nope' }), new ContainerConfigError('container nope not found'))
})

t.test('this host: every CPU, MemTotal less 100Mi, the data root\'s filesystem less 10%', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-alloc-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const host = hostAllocatable(dir)
  t.equal(host.milliCpu, BigInt(cpus().length) * 1000n)
  t.equal(host.memoryBytes, BigInt(totalmem()) - 100n * 1024n * 1024n)
  t.ok(host.ephemeralStorageBytes > 0n, `storage ${host.ephemeralStorageBytes}`)
  t.equal(hostAllocatable(join(dir, 'missing')).ephemeralStorageBytes, 0n, 'no filesystem there: none')
})
