// The files of configMap, secret, downwardAPI and projected volumes as
// kubelet's plugins collect them, their errors with kubelet's texts, and
// the downward API's map format (Go's %q quoting).
import t from 'tap'
import { loadPod } from '../../../src/spec'
import type { ConfigObject, PodConfigObjects } from '../../../src/spec/config-objects'
import type { NodeAllocatable } from '../../../src/sandbox/downward-resources'
import { formatMap, goQuote } from '../../../src/sandbox/downward-volume'
import { nestedMountPoints } from '../../../src/sandbox/file-volumes'
import { PayloadError, aggregate, volumePayload } from '../../../src/sandbox/volume-payload'

const GI = 1024n ** 3n
const NODE: NodeAllocatable = { milliCpu: 4000n, memoryBytes: 8n * GI, ephemeralStorageBytes: 90n * GI }

function object(kind: 'ConfigMap' | 'Secret', name: string, data: Record<string, string>): ConfigObject {
  return { kind, name, namespace: 'default', data: new Map(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) }
}

const objects: PodConfigObjects = {
  configMaps: new Map([['cm', object('ConfigMap', 'cm', { 'app.conf': 'a=1\n', 'b.txt': 'B' })]]),
  secrets: new Map([['s', object('Secret', 's', { password: 'hunter2', user: 'admin' })]]),
}

/** The pod with `volumes` (YAML flow text), defaulted as podshim loads it. */
function podWithVolumes(volumes: string): ReturnType<typeof loadPod>['pod'] {
  return loadPod(`
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  uid: 1234-abcd
  labels: {tier: front, app: web}
  annotations: {"example.com/note": "say \\"hi\\"\\n\\tbye", a: ""}
spec:
  initContainers:
  - {name: setup, image: x}
  containers:
  - name: app
    image: x
    resources: {limits: {cpu: 500m, memory: 64Mi}}
  volumes: ${volumes}
`, 'test', { newUid: () => 'u' }).pod
}

/** The payload of the pod's only volume, as path → [text, mode]. */
function payloadOf(volumes: string, given = objects): Record<string, [string, number]> {
  const pod = podWithVolumes(volumes)
  const payload = volumePayload(pod.spec.volumes[0], { pod, objects: given, node: () => NODE })
  return Object.fromEntries([...payload].map(([path, file]) => [path, [file.data.toString(), file.mode]]))
}

function failureOf(volumes: string): string {
  try {
    payloadOf(volumes)
  } catch (err) {
    if (err instanceof PayloadError) return err.message
    throw err
  }
  return 'no error'
}

t.test('configMap: every key with defaultMode where items is unset; else each item at its path, with its mode', async (t) => {
  t.same(payloadOf('[{name: v, configMap: {name: cm}}]'), { 'app.conf': ['a=1\n', 0o644], 'b.txt': ['B', 0o644] })
  t.same(payloadOf('[{name: v, configMap: {name: cm, defaultMode: 0400, items: [{key: b.txt, path: dir/b}, {key: app.conf, path: c, mode: 0600}]}}]'),
    { 'dir/b': ['B', 0o400], c: ['a=1\n', 0o600] }, 'YAML 0400 is octal, as kubectl reads it')
})

t.test('secret: the same, by secretName', async (t) => {
  t.same(payloadOf('[{name: v, secret: {secretName: s, items: [{key: password, path: pw}]}}]'), { pw: ['hunter2', 0o644] })
})

t.test('a missing object or key fails with kubelet\'s text; optional makes it empty', async (t) => {
  t.equal(failureOf('[{name: v, configMap: {name: nope}}]'), 'configmap "nope" not found')
  t.equal(failureOf('[{name: v, secret: {secretName: nope}}]'), 'secret "nope" not found')
  t.equal(failureOf('[{name: v, configMap: {name: cm, items: [{key: missing, path: m}]}}]'), 'configmap references non-existent config key: missing')
  t.equal(failureOf('[{name: v, secret: {secretName: s, items: [{key: missing, path: m}]}}]'), 'references non-existent secret key: missing')
  t.same(payloadOf('[{name: v, configMap: {name: nope, optional: true}}]'), {})
  t.same(payloadOf('[{name: v, secret: {secretName: nope, optional: true, items: [{key: k, path: k}]}}]'), {})
  t.same(payloadOf('[{name: v, configMap: {name: cm, optional: true, items: [{key: missing, path: m}, {key: b.txt, path: b}]}}]'), { b: ['B', 0o644] }, 'an optional one skips a missing key')
})

t.test('downwardAPI: the pod\'s metadata, maps as kubelet formats them, resources of the named container', async (t) => {
  t.same(payloadOf(`[{name: v, downwardAPI: {defaultMode: 0440, items: [
    {path: name, fieldRef: {fieldPath: metadata.name}},
    {path: ns, fieldRef: {fieldPath: metadata.namespace}, mode: 0400},
    {path: uid, fieldRef: {fieldPath: metadata.uid}},
    {path: labels, fieldRef: {fieldPath: metadata.labels}},
    {path: annotations, fieldRef: {fieldPath: metadata.annotations}},
    {path: tier, fieldRef: {fieldPath: "metadata.labels['tier']"}},
    {path: none, fieldRef: {fieldPath: "metadata.labels['none']"}},
    {path: cpu, resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}},
    {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}},
    {path: init-mem, resourceFieldRef: {containerName: setup, resource: limits.memory}}]}}]`), {
    name: ['web', 0o440],
    ns: ['shop', 0o400],
    uid: ['1234-abcd', 0o440],
    labels: ['app="web"\ntier="front"', 0o440],
    annotations: ['a=""\nexample.com/note="say \\"hi\\"\\n\\tbye"', 0o440],
    tier: ['front', 0o440],
    none: ['', 0o440],
    cpu: ['500', 0o440],
    mem: ['64', 0o440],
    // a volume's resourceFieldRef gets the node's allocatable for an init container's unset limit too
    'init-mem': [String(8n * GI), 0o440],
  })
})

t.test('downwardAPI: a container the pod does not have fails as kubelet fails it', async (t) => {
  t.equal(failureOf('[{name: v, downwardAPI: {items: [{path: c, resourceFieldRef: {containerName: gone, resource: limits.cpu}}]}}]'), 'container gone not found')
})

t.test('projected: every source into one volume, with the volume\'s defaultMode', async (t) => {
  t.same(payloadOf(`[{name: v, projected: {defaultMode: 0400, sources: [
    {configMap: {name: cm, items: [{key: b.txt, path: b}]}},
    {secret: {name: s}},
    {downwardAPI: {items: [{path: pod/name, fieldRef: {fieldPath: metadata.name}, mode: 0444}]}},
    {serviceAccountToken: {path: token}}]}}]`), {
    b: ['B', 0o400],
    password: ['hunter2', 0o400],
    user: ['admin', 0o400],
    'pod/name': ['web', 0o444],
  })
})

t.test('projected: every source\'s error at once, as kubelet aggregates them', async (t) => {
  t.equal(failureOf('[{name: v, projected: {sources: [{configMap: {name: nope}}, {secret: {name: s, items: [{key: k, path: k}]}}, {configMap: {name: cm}}]}}]'),
    '[configmap "nope" not found, references non-existent secret key: k]')
  t.equal(failureOf('[{name: v, projected: {sources: [{configMap: {name: nope}}, {configMap: {name: cm}}]}}]'), 'configmap "nope" not found', 'one error as it is')
  t.equal(aggregate(['a', 'b', 'a']), '[a, b]', 'each message once')
})

t.test('fieldpath.FormatMap: sorted key="value" lines, Go %q quoting, no final newline', async (t) => {
  t.equal(formatMap({}), '')
  t.equal(formatMap({ b: '2', a: '1', B: '0' }), 'B="0"\na="1"\nb="2"', 'byte order: upper case first')
  t.equal(goQuote('plain text'), '"plain text"')
  t.equal(goQuote('q"b\\'), '"q\\"b\\\\"')
  t.equal(goQuote('\x07\b\f\n\r\t\v'), '"\\a\\b\\f\\n\\r\\t\\v"')
  t.equal(goQuote('\x00\x1b\x7f'), '"\\x00\\x1b\\x7f"')
  t.equal(goQuote('ü€日本 😀'), '"ü€日本 😀"', 'printable characters as they are')
  t.equal(goQuote('\u0085\u00a0\u200b\u2028'), '"\\u0085\\u00a0\\u200b\\u2028"', 'C1 controls, no-break space, format and separator characters escaped')
  t.equal(goQuote('\u{e0001}\u{f0000}'), '"\\U000e0001\\U000f0000"', 'beyond the BMP: \\U with 8 digits')
  t.equal(goQuote('\ud800'), '"\ufffd"', 'a lone surrogate is U+FFFD')
})

t.test('nested mount points: where another volume is mounted below this one, first level only', async (t) => {
  const pod = loadPod(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers:
  - {name: i, image: x, volumeMounts: [{name: cfg, mountPath: /etc/app/}, {name: data, mountPath: /etc/app/init}]}
  containers:
  - name: c
    image: x
    volumeMounts:
    - {name: cfg, mountPath: /etc/app}
    - {name: data, mountPath: /etc/app/data}
    - {name: more, mountPath: /etc/app/data/more}
    - {name: other, mountPath: /etc/application}
  volumes: [{name: cfg, configMap: {name: cm}}, {name: data}, {name: more}, {name: other}]
`, 'test', { newUid: () => 'u' }).pod
  t.same(nestedMountPoints('cfg', pod), ['init', 'data'])
  t.same(nestedMountPoints('data', pod), ['more'])
  t.same(nestedMountPoints('other', pod), [])
})
