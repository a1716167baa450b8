import t from 'tap'
import { loadPod } from '../../../src/spec'
import { containerEnv, type NodeInfo } from '../../../src/sandbox/process-spec'
import { envFromVariables, keyRefValue } from '../../../src/sandbox/config-env'

const OBJECTS = `
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: ns1}
data: {log.level: debug, MODE: fast, 1st: one, REF: $(MODE)}
binaryData: {blob: AAE=}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: ns1}
data: {PASSWORD: czNjcmV0}
stringData: {USER: admin, MODE: secret-mode}
`
const node: NodeInfo = { name: 'node1', hostIP: '192.0.2.7', allocatable: () => ({ milliCpu: 1000n, memoryBytes: 1n, ephemeralStorageBytes: 1n }) }

/** The env of a pod in ns1 whose one container is `container` (YAML flow), with the objects above. */
function envOf(container: string): Map<string, string> {
  const { pod, objects } = loadPod(`apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ns1}
spec:
  containers:
  - ${container}
${OBJECTS}`, 'test', { newUid: () => 'u' })
  return containerEnv(pod, pod.spec.containers[0], node, objects)
}

t.test('envFrom: every key of the data, prefixed, sources in order, then env over them', (t) => {
  const env = envOf(`{name: c, image: x, envFrom: [{configMapRef: {name: app}}, {secretRef: {name: db}, prefix: DB_}, {secretRef: {name: db}}], env: [{name: MODE, value: "from env, was $(MODE)"}, {name: LEVEL, value: "$(log.level)"}]}`)
  t.same([...env], [
    ['1st', 'one'],
    ['MODE', 'from env, was secret-mode'],
    ['REF', '$(MODE)'],
    ['log.level', 'debug'],
    ['DB_MODE', 'secret-mode'],
    ['DB_PASSWORD', 's3cret'],
    ['DB_USER', 'admin'],
    ['PASSWORD', 's3cret'],
    ['USER', 'admin'],
    ['LEVEL', 'debug'],
  ], 'keys that are not C identifiers are kept (RelaxedEnvironmentVariableValidation); a value from an object is not expanded; binaryData is not env')
  t.end()
})

t.test('configMapKeyRef and secretKeyRef', (t) => {
  const env = envOf(`{name: c, image: x, env: [{name: A, value: before}, {name: LEVEL, valueFrom: {configMapKeyRef: {name: app, key: log.level}}}, {name: PW, valueFrom: {secretKeyRef: {name: db, key: PASSWORD}}}, {name: B, value: "$(PW)!"}]}`)
  t.same([...env], [['A', 'before'], ['LEVEL', 'debug'], ['PW', 's3cret'], ['B', 's3cret!']])
  t.end()
})

t.test('optional: a missing object or key leaves the variable as it was', (t) => {
  const env = envOf(`{name: c, image: x, envFrom: [{configMapRef: {name: nope, optional: true}}, {secretRef: {name: nope, optional: true}}, {configMapRef: {name: app}}], env: [
      {name: MODE, valueFrom: {configMapKeyRef: {name: nope, key: k, optional: true}}},
      {name: X, valueFrom: {secretKeyRef: {name: db, key: nope, optional: true}}},
      {name: BLOB, valueFrom: {configMapKeyRef: {name: app, key: blob, optional: true}}}]}`)
  t.equal(env.get('MODE'), 'fast', 'the envFrom value stays')
  t.notOk(env.has('X'))
  t.notOk(env.has('BLOB'), 'a binaryData key is not there for env')
  t.end()
})

t.test('what is missing and not optional: kubelet\'s CreateContainerConfigError texts', (t) => {
  const cases: [string, string][] = [
    ['envFrom: [{configMapRef: {name: nope}}]', 'configmap "nope" not found'],
    ['envFrom: [{secretRef: {name: nope, optional: false}}]', 'secret "nope" not found'],
    ['env: [{name: A, valueFrom: {configMapKeyRef: {name: nope, key: k}}}]', 'configmap "nope" not found'],
    ['env: [{name: A, valueFrom: {secretKeyRef: {name: nope, key: k}}}]', 'secret "nope" not found'],
    ['env: [{name: A, valueFrom: {configMapKeyRef: {name: app, key: k}}}]', "couldn't find key k in ConfigMap ns1/app"],
    ['env: [{name: A, valueFrom: {configMapKeyRef: {name: app, key: blob}}}]', "couldn't find key blob in ConfigMap ns1/app"],
    ['env: [{name: A, valueFrom: {secretKeyRef: {name: db, key: k}}}]', "couldn't find key k in Secret ns1/db"],
  ]
  for (const [fields, message] of cases) {
    t.throws(() => envOf(`{name: c, image: x, ${fields}}`), { name: 'ContainerConfigError', message, reason: 'CreateContainerConfigError' }, fields)
  }
  t.end()
})

t.test('a value that is not UTF-8 (a Secret\'s binary data) is refused, not changed', async (t) => {
  const objects = { configMaps: new Map(), secrets: new Map([['bin', { kind: 'Secret' as const, name: 'bin', namespace: 'default', data: new Map([['k', Buffer.from([0xff, 0x41])], ['ok', Buffer.from('é')]]) }]]) }
  t.throws(() => keyRefValue('secret', { name: 'bin', key: 'k' }, objects, 'default'), { name: 'ContainerConfigError', message: 'key k in Secret default/bin is not UTF-8 text, which an environment variable cannot hold' })
  t.equal(keyRefValue('secret', { name: 'bin', key: 'ok' }, objects, 'default'), 'é')
  t.throws(() => envFromVariables([{ secretRef: { name: 'bin' } }], objects), { name: 'ContainerConfigError' })
})
