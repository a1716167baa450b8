// The downward API seen from inside a container: fieldRef values (the pod's
// name, namespace, uid, labels, the node's name and address, the pod's
// address) and resourceFieldRef values (a limit or request divided by its
// divisor and rounded up; a limit the container does not set is this
// host's allocatable amount: every CPU, MemTotal less kubelet's 100Mi
// eviction threshold, the data root's filesystem less 10%). The expected
// numbers are read here from /proc and statfs(2), not from src/.

import t from 'tap'
import { existsSync, readFileSync, readdirSync, statfsSync } from 'node:fs'
import { hostname } from 'node:os'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const PRINT = 'env | grep "^D_" | sort'
const field = (name: string, fieldPath: string): object => ({ name, valueFrom: { fieldRef: { fieldPath } } })
const resource = (name: string, ref: object): object => ({ name, valueFrom: { resourceFieldRef: ref } })
const UID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427'
const ceilDiv = (n: bigint, d: bigint): bigint => (n + d - 1n) / d

t.test('fieldRef and resourceFieldRef values, as kubelet gives them', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('downward', [
    shContainer('app', PRINT, {
      resources: { requests: { cpu: '250m' }, limits: { cpu: '1500m', memory: '64Mi' } },
      env: [
        field('D_NAME', 'metadata.name'), field('D_NAMESPACE', 'metadata.namespace'), field('D_UID', 'metadata.uid'),
        field('D_LABEL', "metadata.labels['tier']"), field('D_NODE', 'spec.nodeName'), field('D_POD_IP', 'status.podIP'),
        resource('D_CPU_LIMIT', { resource: 'limits.cpu' }),
        resource('D_CPU_LIMIT_M', { resource: 'limits.cpu', divisor: '1m' }),
        resource('D_CPU_REQUEST_M', { resource: 'requests.cpu', divisor: '1m' }),
        resource('D_MEMORY_REQUEST_MI', { resource: 'requests.memory', divisor: '1Mi' }),
        resource('D_OTHER_CPU', { containerName: 'bare', resource: 'limits.cpu' }),
        resource('D_OTHER_MEMORY', { containerName: 'bare', resource: 'limits.memory' }),
        resource('D_STORAGE_KI', { resource: 'limits.ephemeral-storage', divisor: '1Ki' }),
      ],
    }),
    shContainer('bare', 'true'),
  ])
  manifest.metadata = { name: 'downward', uid: UID, labels: { tier: 'web' } }
  const r = await env.run(manifest, { args: ['-o', 'json'] })
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const got = keyValues(containerLines(r.stderr, 'app'))

  t.equal(got.get('D_NAME'), 'downward')
  t.equal(got.get('D_NAMESPACE'), 'default')
  t.equal(got.get('D_UID'), UID)
  t.equal(got.get('D_LABEL'), 'web')
  t.equal(got.get('D_NODE'), hostname())
  t.equal(got.get('D_POD_IP'), r.status?.podIP, 'the podIP of the status')

  t.equal(got.get('D_CPU_LIMIT'), '2', '1500m in cores, rounded up')
  t.equal(got.get('D_CPU_LIMIT_M'), '1500')
  t.equal(got.get('D_CPU_REQUEST_M'), '250')
  t.equal(got.get('D_MEMORY_REQUEST_MI'), '64', 'the request defaulted to the limit')
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => /^processor\s*:/.test(l)).length
  t.equal(got.get('D_OTHER_CPU'), String(cpus), 'no cpu limit: every CPU of the host')
  const memTotalKi = BigInt(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1])
  t.equal(got.get('D_OTHER_MEMORY'), String(memTotalKi * 1024n - 100n * 1024n * 1024n), 'no memory limit: MemTotal less 100Mi')
  const fs = statfsSync(env.dir, { bigint: true })
  const storage = fs.blocks * fs.bsize
  t.equal(got.get('D_STORAGE_KI'), String(ceilDiv(storage - (storage * 10n) / 100n, 1024n)), 'no ephemeral-storage limit: the data root\'s filesystem less 10%')
})

t.test('a resourceFieldRef naming a container the pod does not have: the container cannot be configured', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('downward-missing', [
    shContainer('app', 'echo ran', { env: [resource('D_X', { containerName: 'nope', resource: 'limits.cpu' })] }),
  ]), { args: ['-o', 'json'] })
  t.not(r.code, 0, 'the pod failed', { stderr: r.stderr })
  t.same(containerLines(r.stderr, 'app'), [], 'it never ran')
  t.match(r.status?.containerStatuses?.[0]?.state?.terminated, { reason: 'StartError', exitCode: 128, message: /container nope not found/ })
  // kubelet's generateContainerConfig fails before CreateContainer: no Created event, and no log file
  t.notMatch(r.stderr, /Created +spec\.containers\{app\}/, 'never created')
  t.match(r.stderr, /Failed +spec\.containers\{app\}: Error: container nope not found/)
  const logs = existsSync(env.logRoot) ? readdirSync(env.logRoot, { recursive: true }).map(String) : []
  t.same(logs.filter((f) => f.endsWith('.log')), [], 'no log file')
})
