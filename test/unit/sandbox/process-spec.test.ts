import t from 'tap'
import { loadPod } from '../../../src/spec'
import { processSpec, findExecutable, ContainerConfigError } from '../../../src/sandbox/process-spec'
import { HOST_IMAGE_CONFIG } from '../../../src/images/host-image'
import type { ImageConfig } from '../../../src/images/resolver'
import { containerCapabilities } from '../../../src/sandbox/capability-sets'

const pod = (container: string, extra = ''): ReturnType<typeof loadPod>['pod'] => loadPod(`
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: ns1, uid: u-1, labels: {app: a}}
spec:
${extra}
  containers:
  - ${container}
`, 'test', { newUid: () => 'unused' }).pod

const image: ImageConfig = { ...HOST_IMAGE_CONFIG, entrypoint: ['/entry'], cmd: ['default-arg'], env: ['PATH=/bin', 'FROM_IMAGE=1'], workingDir: '/img' }
const spec = (p: ReturnType<typeof pod>, img = image) => processSpec({ pod: p, container: p.spec.containers[0], image: img, hostname: 'web', node: { name: 'node1', hostIP: '192.0.2.7' }, lookupUser: (n) => (n === 'www' ? [33, 34] : undefined), hasDeviceFilter: true })

t.test('command and args over Entrypoint and Cmd (Kubernetes rules)', (t) => {
  t.same(spec(pod('{name: c, image: x}')).argv, ['/entry', 'default-arg'], 'neither: image entrypoint + cmd')
  t.same(spec(pod('{name: c, image: x, args: [a1]}')).argv, ['/entry', 'a1'], 'args replace Cmd')
  t.same(spec(pod('{name: c, image: x, command: [/c]}')).argv, ['/c'], 'command drops Cmd')
  t.same(spec(pod('{name: c, image: x, command: [/c], args: [a]}')).argv, ['/c', 'a'])
  t.throws(() => spec(pod('{name: c, image: x}'), { ...image, entrypoint: [], cmd: [] }), ContainerConfigError)
  t.end()
})

t.test('env: image env, HOSTNAME, then the container env with $(VAR) expansion and fieldRefs', (t) => {
  const p = pod(`name: c
    image: x
    command: [echo, "$(GREETING)", "$$(GREETING)", "$(UNDEFINED)"]
    env:
    - {name: NAME, value: world}
    - {name: GREETING, value: "hello $(NAME)"}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: FROM_IMAGE, value: overridden}`)
  const s = spec(p)
  t.same(s.argv, ['echo', 'hello world', '$(GREETING)', '$(UNDEFINED)'])
  t.same(s.env, ['PATH=/bin', 'FROM_IMAGE=overridden', 'HOSTNAME=web', 'NAME=world', 'GREETING=hello world', 'POD=web', 'APP=a'])
  t.end()
})

t.test('working dir and user', (t) => {
  t.equal(spec(pod('{name: c, image: x}')).workingDir, '/img')
  t.equal(spec(pod('{name: c, image: x, workingDir: /w}')).workingDir, '/w')
  t.equal(spec(pod('{name: c, image: x}')).ids, null, 'root, nothing to change')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 7}}', '  securityContext: {runAsGroup: 8, supplementalGroups: [9]}')).ids, { uid: 7, gid: 8, groups: [9] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: 'www' }).ids, { uid: 33, gid: 34, groups: [] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: '5:6' }).ids, { uid: 5, gid: 6, groups: [] })
  t.throws(() => spec(pod('{name: c, image: x}'), { ...image, user: 'nobody-here' }), /not found/)
  t.throws(() => spec(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}')), /runAsNonRoot/)
  t.end()
})

t.test('capabilities: containerd\'s set with add/drop; a privileged container keeps every one', (t) => {
  const caps = (c: string) => spec(pod(c)).capabilities
  t.equal(caps('{name: c, image: x}').keep, containerCapabilities(undefined, true))
  t.equal(caps('{name: c, image: x, securityContext: {capabilities: {add: [NET_ADMIN]}}}').keep, containerCapabilities({ add: ['NET_ADMIN'] }, true))
  t.same(caps('{name: c, image: x, securityContext: {privileged: true, capabilities: {drop: [ALL]}}}'), { keep: 2 ** 53 - 1, noNewPrivs: false }, 'capabilities.drop does not apply, as in containerd')
  t.equal(caps('{name: c, image: x, securityContext: {allowPrivilegeEscalation: false}}').noNewPrivs, true)
  t.end()
})

t.test('PATH lookup inside the container root', (t) => {
  const exists = new Set(['/usr/bin/python3', '/bin/sh'])
  const isExe = (p: string): boolean => exists.has(p)
  t.equal(findExecutable('python3', ['PATH=/usr/local/bin:/usr/bin'], isExe), '/usr/bin/python3')
  t.equal(findExecutable('/any/path', [], isExe), '/any/path', 'a path with a slash is used as is')
  t.equal(findExecutable('sh', [], isExe), '/bin/sh', 'the default PATH without one')
  t.equal(findExecutable('nope', ['PATH=/usr/bin'], isExe), undefined)
  t.end()
})

t.test('downward API: the node\'s name and address as the pod status tells them; podIP is loopback, or the host\'s under hostNetwork', (t) => {
  const fields = '{name: c, image: x, env: [' + ['spec.nodeName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs']
    .map((f, i) => `{name: V${i}, valueFrom: {fieldRef: {fieldPath: ${f}}}}`).join(', ') + ']}'
  const values = (p: ReturnType<typeof pod>) => spec(p).env.filter((e) => e.startsWith('V'))
  t.same(values(pod(fields)), ['V0=node1', 'V1=192.0.2.7', 'V2=192.0.2.7', 'V3=127.0.0.1', 'V4=127.0.0.1'])
  t.same(values(pod(fields, '  hostNetwork: true')), ['V0=node1', 'V1=192.0.2.7', 'V2=192.0.2.7', 'V3=192.0.2.7', 'V4=192.0.2.7'])
  t.end()
})
