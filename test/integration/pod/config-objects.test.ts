// ConfigMaps and Secrets given in the same manifest as the pod (as
// `kubectl apply -f` of one file holding all three), seen from inside a
// container: envFrom with and without a prefix, configMapKeyRef and
// secretKeyRef, a Secret's base64 data and stringData, env over envFrom.
// A reference to what is not there and not optional is kubelet's container
// config error: the container never runs, and its Failed event carries
// kubelet's text. The manifests are YAML text, several documents, as a
// user writes them.

import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { containerLines, keyValues, podEnv } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const OBJECTS = `
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  E_MODE: fast
  log.level: debug
---
apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: czNjcmV0IHdpdGggc3BhY2Vz   # "s3cret with spaces"
stringData:
  user: admin
`

const pod = (name: string, container: string): string => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: podshim/host
    # env itself, not a shell: dash leaves out of its children's env the variables whose names it cannot hold (log.level)
    command: [env]
${container.replace(/^/gm, '    ')}
${OBJECTS}`

t.test('env from the ConfigMap and the Secret beside the pod', async (t) => {
  const env = podEnv(t)
  const r = await env.run(pod('config-env', `envFrom:
- configMapRef: {name: app-config}
- secretRef: {name: db}
  prefix: DB_
env:
- {name: E_MODE, value: "slow, not $(E_MODE)"}
- name: E_LEVEL
  valueFrom: {configMapKeyRef: {name: app-config, key: log.level}}
- name: E_PASSWORD
  valueFrom: {secretKeyRef: {name: db, key: password}}
- name: E_MISSING
  valueFrom: {secretKeyRef: {name: nope, key: k, optional: true}}`), { args: ['-o', 'json'] })
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const got = keyValues(containerLines(r.stderr, 'app').filter((l) => /^(E_|DB_|log)/.test(l)))
  t.same(Object.fromEntries([...got].sort()), {
    DB_password: 's3cret with spaces',
    DB_user: 'admin',
    E_LEVEL: 'debug',
    E_MODE: 'slow, not fast',
    E_PASSWORD: 's3cret with spaces',
    'log.level': 'debug',
  }, 'every key, prefixed; env over envFrom; an optional ref to nothing sets nothing')
  t.equal(r.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0)
})

t.test('a reference to a ConfigMap or key that is not there: the container cannot be configured', async (t) => {
  const cases: [string, string, string][] = [
    ['config-missing-map', 'envFrom: [{configMapRef: {name: nope}}]', 'configmap "nope" not found'],
    ['config-missing-key', 'env: [{name: E_X, valueFrom: {secretKeyRef: {name: db, key: nokey}}}]', "couldn't find key nokey in Secret default/db"],
  ]
  for (const [name, container, message] of cases) {
    const env = podEnv(t)
    const r = await env.run(pod(name, container), { args: ['-o', 'json'] })
    t.not(r.code, 0, `${name}: the pod failed`, { stderr: r.stderr })
    t.same(containerLines(r.stderr, 'app'), [], `${name}: it never ran`)
    t.match(r.status?.containerStatuses?.[0]?.state?.terminated, { reason: 'StartError', exitCode: 128, message }, `${name}: kubelet's text`)
    t.notMatch(r.stderr, /Created +spec\.containers\{app\}/, `${name}: never created`)
    t.match(r.stderr, new RegExp(`Failed +spec\\.containers\\{app\\}: Error: ${message.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&')}`))
  }
})

t.test('a ConfigMap the pod cannot see is refused before anything is made', async (t) => {
  const env = podEnv(t)
  const r = await env.run(pod('config-other-ns', 'envFrom: [{configMapRef: {name: app-config}}]').replace('  name: app-config', '  name: app-config\n  namespace: other'))
  t.equal(r.code, 1, 'a podshim error', { stderr: r.stderr })
  t.match(r.stderr, /document 2 \(ConfigMap "app-config"\) metadata\.namespace: "other", not the pod's "default"/)
})

t.test('`cat cm.yaml pod.yaml | podshim run -`: the objects first, on stdin', async (t) => {
  const env = podEnv(t)
  const text = pod('config-stdin', 'env: [{name: E_USER, valueFrom: {secretKeyRef: {name: db, key: user}}}]')
  const split = text.indexOf('\n---\n')
  const [podText, objects] = [text.slice(0, split), text.slice(split + 5)]
  const r = await env.run(null, { file: '-', stdin: `${objects}\n---\n${podText}` })
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.ok(containerLines(r.stdout + r.stderr, 'app').includes('E_USER=admin'), 'the Secret was seen', { stdout: r.stdout })
})

t.test('the objects in files of their own, or a directory of files, as `kubectl apply -f` takes them', async (t) => {
  const env = podEnv(t)
  const text = pod('config-files', 'env: [{name: E_USER, valueFrom: {secretKeyRef: {name: db, key: user}}}]')
  const split = text.indexOf('\n---\n')
  // each file as a user writes it: no `---` at the start or the end, so a `cat` of them would run together
  const podFile = join(env.dir, 'manifests', 'pod.yaml')
  const objectsFile = join(env.dir, 'manifests', 'objects.yml')
  mkdirSync(dirname(podFile))
  writeFileSync(podFile, text.slice(0, split).trim() + '\n')
  writeFileSync(objectsFile, text.slice(split + 5).trim().replace(/^---\n/, '') + '\n')
  writeFileSync(join(env.dir, 'manifests', 'notes.txt'), 'not a manifest: a directory stands for its .json, .yaml and .yml files\n')
  for (const args of [[objectsFile, podFile], [dirname(podFile)]]) {
    const r = await env.run(null, { file: args.at(-1), args: args.slice(0, -1) })
    t.equal(r.code, 0, `${args.join(' ')}: the pod ran`, { stderr: r.stderr })
    t.ok(containerLines(r.stdout + r.stderr, 'app').includes('E_USER=admin'), 'the Secret was seen', { stdout: r.stdout })
  }
  const bad = await env.run(null, { file: podFile, args: [objectsFile, '-', '-'] })
  t.equal(bad.code, 2, 'stdin twice: a usage error', { stderr: bad.stderr })
  t.match(bad.stderr, /"-" \(stdin\) may be given once/)
  writeFileSync(objectsFile, 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\n')
  const other = await env.run(null, { file: podFile, args: [objectsFile] })
  t.equal(other.code, 1, 'a Service beside the pod: an invalid manifest', { stderr: other.stderr })
  t.match(other.stderr, `invalid pod manifest "${objectsFile}, ${podFile}"`)
  t.match(other.stderr, `unexpected ${objectsFile} document 1: has kind "Service"`)
})

t.test('a pull secret that is not a docker config fails no pod that pulls nothing', async (t) => {
  const env = podEnv(t)
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'reg' }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths": {"reg.example": {"auth": "not base64"}}}' } }
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad-pull-secret' }, spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'reg' }], containers: [{ name: 'app', image: 'podshim/host', command: ['true'] }] } }
  const r = await env.run({ apiVersion: 'v1', kind: 'List', items: [secret, pod] })
  t.equal(r.code, 0, 'the pod ran: kubelet reads pull secrets only to pull', { stderr: r.stderr })
})
