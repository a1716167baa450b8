import t from 'tap'
import { NO_CONFIG_OBJECTS, loadPod } from '../../../src/spec'
import { processSpec, findExecutable, ContainerConfigError, type ImageUsers, type PasswdEntry } from '../../../src/sandbox/process-spec'
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
// an image's /etc/passwd and /etc/group, as image-lookup.ts reads them
const PASSWD: PasswdEntry[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root' },
  { name: 'www', uid: 33, gid: 34, home: '/var/www' },
  { name: 'dev', uid: 1000, gid: 1001, home: '/home/dev' },
]
const GROUPS = [{ name: 'root', gid: 0, members: [] }, { name: 'wheel', gid: 10, members: ['root', 'dev'] }, { name: 'dev', gid: 1001, members: ['dev'] }, { name: 'audio', gid: 29, members: ['dev'] }, { name: 'web', gid: 77, members: [] }]
const users: ImageUsers = {
  byName: (n) => PASSWD.find((u) => u.name === n),
  byUid: (uid) => PASSWD.find((u) => u.uid === uid),
  groupByName: (n) => GROUPS.find((g) => g.name === n)?.gid,
  memberGroups: (n) => GROUPS.filter((g) => g.name !== n && g.members.includes(n)).map((g) => g.gid),
}
const GI = 1024 ** 3
const spec = (p: ReturnType<typeof pod>, img = image) => processSpec({ pod: p, container: p.spec.containers[0], image: img, hostname: 'web', node: { name: 'node1', hostIP: '192.0.2.7', allocatable: () => ({ milliCpu: 4000n, memoryBytes: 8n * BigInt(GI), ephemeralStorageBytes: 90n * BigInt(GI) }) }, objects: NO_CONFIG_OBJECTS, users, machineMemoryBytes: 10 * GI, hasDeviceFilter: true })

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
  t.same(s.env, ['PATH=/bin', 'FROM_IMAGE=overridden', 'HOSTNAME=web', 'NAME=world', 'GREETING=hello world', 'POD=web', 'APP=a', 'HOME=/root'])
  t.end()
})

t.test('working dir and user', (t) => {
  t.equal(spec(pod('{name: c, image: x}')).workingDir, '/img')
  t.equal(spec(pod('{name: c, image: x, workingDir: /w}')).workingDir, '/w')
  t.same(spec(pod('{name: c, image: x}')).ids, { uid: 0, gid: 0, groups: [0, 10] }, "root, with root's groups from the image's /etc/group")
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 7}}', '  securityContext: {runAsGroup: 8, supplementalGroups: [9]}')).ids, { uid: 7, gid: 8, groups: [8, 9] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: 'www' }).ids, { uid: 33, gid: 34, groups: [34] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: '5:6' }).ids, { uid: 5, gid: 6, groups: [6] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: 'www:web' }).ids, { uid: 33, gid: 77, groups: [77] }, 'a group name from /etc/group')
  t.throws(() => spec(pod('{name: c, image: x}'), { ...image, user: 'nobody-here' }), /not found/)
  t.throws(() => spec(pod('{name: c, image: x}'), { ...image, user: 'www:nogroup' }), /image group "nogroup" not found/)
  t.end()
})

t.test("a numeric user takes its primary gid from the image's passwd entry, as containerd's WithUserID", (t) => {
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 1000}}')).ids, { uid: 1000, gid: 1001, groups: [10, 29, 1001] })
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: '1000' }).ids, { uid: 1000, gid: 1001, groups: [10, 29, 1001] }, 'a numeric image USER too')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 4242}}')).ids, { uid: 4242, gid: 0, groups: [0] }, 'no entry: gid 0')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 1000, runAsGroup: 5}}')).ids, { uid: 1000, gid: 5, groups: [5, 10, 29] }, 'runAsGroup wins over the entry')
  t.same(spec(pod('{name: c, image: x}', '  securityContext: {runAsUser: 33}'), { ...image, user: 'dev' }).ids, { uid: 33, gid: 34, groups: [34] }, "the pod's runAsUser over the image's USER")
  t.end()
})

t.test('supplementary groups: the primary gid, /etc/group, then supplementalGroups (Merge), sorted and unique', (t) => {
  t.same(spec(pod('{name: c, image: x}'), { ...image, user: 'dev' }).ids?.groups, [10, 29, 1001], "dev's groups, not the group named after it twice")
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 1000}}', '  securityContext: {supplementalGroups: [500, 10, 3]}')).ids?.groups, [3, 10, 29, 500, 1001])
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 4242}}', '  securityContext: {supplementalGroups: [500]}')).ids?.groups, [0, 500], 'a uid without an entry is in no /etc/group group')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsUser: 4242}}', '  securityContext: {fsGroup: 2000, supplementalGroups: [500]}')).ids?.groups, [0, 500, 2000], 'the pod\'s fsGroup, as kubelet adds it')
  t.end()
})

t.test("HOME from the user's passwd entry when the env has none, as runc sets it", (t) => {
  const home = (p: ReturnType<typeof pod>, img = image): string[] => spec(p, img).env.filter((e) => e.startsWith('HOME='))
  t.same(home(pod('{name: c, image: x}')), ['HOME=/root'])
  t.same(home(pod('{name: c, image: x, securityContext: {runAsUser: 1000}}')), ['HOME=/home/dev'])
  t.same(home(pod('{name: c, image: x}'), { ...image, user: 'www' }), ['HOME=/var/www'])
  t.same(home(pod('{name: c, image: x, securityContext: {runAsUser: 4242}}')), ['HOME=/'], 'no entry: /')
  t.same(home(pod('{name: c, image: x, env: [{name: HOME, value: /mine}]}')), ['HOME=/mine'], "the container's own HOME stays")
  t.same(home(pod('{name: c, image: x}'), { ...image, env: ['HOME=/img'] }), ['HOME=/img'], "and the image's")
  t.end()
})

t.test("runAsNonRoot: kubelet's verifyRunAsNonRoot messages, in its order", (t) => {
  const where = '(pod: "web_ns1(u-1)", container: c)'
  const refuse = (p: ReturnType<typeof pod>, img: ImageConfig, message: string, label: string): void => {
    t.throws(() => spec(p, img), new ContainerConfigError(`${message} ${where}`), label)
  }
  refuse(pod('{name: c, image: x, securityContext: {runAsUser: 0}}', '  securityContext: {runAsNonRoot: true}'), image,
    "container's runAsUser breaks non-root policy", 'pod runAsNonRoot, container runAsUser 0')
  refuse(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}'), { ...image, user: 'app' },
    'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root', 'a user name, even one the image lacks')
  refuse(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}'), { ...image, user: 'www:34' },
    'container has runAsNonRoot and image has non-numeric user (www), cannot verify user is non-root', 'a name whose passwd says non-root')
  refuse(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}'), image,
    'container has runAsNonRoot and image will run as root', 'no user is root')
  refuse(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}'), { ...image, user: '0:5' },
    'container has runAsNonRoot and image will run as root', 'uid 0')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsNonRoot: true}}'), { ...image, user: '1000' }).ids?.uid, 1000, 'a non-zero uid passes')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsNonRoot: true, runAsUser: 33}}'), { ...image, user: 'app' }).ids?.uid, 33, 'runAsUser is checked, not the image user')
  t.same(spec(pod('{name: c, image: x, securityContext: {runAsNonRoot: false, runAsUser: 0}}', '  securityContext: {runAsNonRoot: true}')).ids?.uid, 0, "the container's false over the pod's true")
  t.end()
})

t.test("oom_score_adj by the pod's QoS class (kubelet's GetContainerOOMScoreAdjust)", (t) => {
  const adj = (c: string, extra = ''): number => spec(pod(c, extra)).oomScoreAdj
  t.equal(adj('{name: c, image: x}'), 1000, 'BestEffort')
  t.equal(adj('{name: c, image: x, resources: {limits: {cpu: 100m, memory: 1Gi}}}'), -997, 'Guaranteed (requests default to limits)')
  t.equal(adj('{name: c, image: x, resources: {requests: {memory: 1Gi}}}'), 900, 'Burstable: 1000 - 1000*request/machine')
  t.equal(adj('{name: c, image: x, resources: {requests: {cpu: 100m}}}'), 999, 'Burstable without a memory request stays below BestEffort')
  t.equal(adj('{name: c, image: x}', `  initContainers:
  - {name: i, image: x, resources: {requests: {memory: 1Gi}}}`), 999, "the pod's class, not the container's own: Burstable")
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

t.test('downward API: spec.serviceAccountName is the manifest\'s, else "default"', (t) => {
  const c = '{name: c, image: x, env: [{name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}]}'
  const sa = (p: ReturnType<typeof pod>) => spec(p).env.find((e) => e.startsWith('SA='))
  t.equal(sa(pod(c, '  serviceAccountName: builder')), 'SA=builder')
  t.equal(sa(pod(c)), 'SA=default')
  t.end()
})

t.test('an image whose config has no PATH gets containerd\'s default; one with a PATH keeps it', (t) => {
  t.equal(spec(pod('{name: c, image: x}'), { ...image, env: [] }).env[0], 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
  t.equal(spec(pod('{name: c, image: x}')).env[0], 'PATH=/bin')
  t.equal(spec(pod('{name: c, image: x, env: [{name: PATH, value: /mine}]}'), { ...image, env: [] }).env.find((e) => e.startsWith('PATH=')), 'PATH=/mine')
  t.end()
})

t.test('env from the ConfigMaps and Secrets beside the pod, after HOSTNAME and over the image env', (t) => {
  const { pod: p, objects } = loadPod(`
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: c, image: x, command: [echo, "$(GREETING)"], envFrom: [{configMapRef: {name: cfg}}], env: [{name: PW, valueFrom: {secretKeyRef: {name: s, key: pw}}}]}
---
{apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}, data: {GREETING: hi, FROM_IMAGE: cm, HOSTNAME: cm-host}}
---
{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {pw: secret}}
`, 'test', { newUid: () => 'unused' })
  const s = processSpec({ pod: p, container: p.spec.containers[0], image, hostname: 'web', node: { name: 'n', hostIP: '192.0.2.7', allocatable: () => ({ milliCpu: 1n, memoryBytes: 1n, ephemeralStorageBytes: 1n }) }, objects, users, machineMemoryBytes: GI, hasDeviceFilter: true })
  t.same(s.argv, ['echo', 'hi'])
  t.same(s.env, ['PATH=/bin', 'FROM_IMAGE=cm', 'HOSTNAME=cm-host', 'GREETING=hi', 'PW=secret', 'HOME=/root'])
  t.throws(() => processSpec({ pod: p, container: p.spec.containers[0], image, hostname: 'web', node: { name: 'n', hostIP: '192.0.2.7', allocatable: () => ({ milliCpu: 1n, memoryBytes: 1n, ephemeralStorageBytes: 1n }) }, objects: NO_CONFIG_OBJECTS, users, machineMemoryBytes: GI, hasDeviceFilter: true }), { name: 'ContainerConfigError', message: 'configmap "cfg" not found' })
  t.end()
})
