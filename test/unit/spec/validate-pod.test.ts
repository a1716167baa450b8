import t from 'tap';
import { basePod, podWith, problemsOf, warningsOf, runCases, type RuleCase } from './fixtures/pods';

t.test('the base pod is valid with no warnings', async (t) => {
  t.same(problemsOf(basePod()), []);
  t.same(warningsOf(basePod()), []);
});

t.test('the manifest must be an object', async (t) => {
  t.same(problemsOf('hello'), ['manifest must be an object (got string "hello")']);
  t.same(problemsOf([1]), ['manifest must be an object (got a list)']);
});

t.test('an object of another kind gets that one problem, not a Pod schema\'s worth of them', async (t) => {
  t.same(problemsOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, template: {} } }),
    ['kind: must be "Pod" (got "Deployment"): podshim runs Pods only']);
});

t.test('a boolean or number where text belongs says how YAML made it one', async (t) => {
  const problems = problemsOf(podWith((p) => { p.spec.containers[0].env = [{ name: 'A', value: true }, { name: 'B', value: 420 }]; }));
  t.same(problems, [
    'spec.containers[0].env[0].value: must be a string (got boolean true): YAML reads unquoted true, false, yes, no, on, off, y and n as booleans, as kubectl does; quote the value',
    'spec.containers[0].env[1].value: must be a string (got number 420): quote the value to keep it text (unquoted, YAML reads 0644 as the octal number 420, as kubectl does)',
  ]);
});

// [what, mutation that breaks it, expected problem, mutation that is fine]
const cases: RuleCase[] = [
  ['apiVersion', (p) => { p.apiVersion = 'apps/v1'; }, 'apiVersion: must be "v1" (got "apps/v1")', (p) => { p.apiVersion = 'v1'; }],
  ['apiVersion missing', (p) => { delete p.apiVersion; }, 'apiVersion: required value', () => {}],
  ['kind', (p) => { p.kind = 'Deployment'; }, 'kind: must be "Pod" (got "Deployment"): podshim runs Pods only', () => {}],
  ['metadata missing', (p) => { delete p.metadata; }, 'metadata: required value', () => {}],
  ['spec missing', (p) => { delete p.spec; }, 'spec: required value', () => {}],
  ['name missing', (p) => { p.metadata = {}; }, 'metadata.name: required value', () => {}],
  ['name generateName', (p) => { p.metadata = { generateName: 'web-' }; },
    'metadata.name: required value (generateName is not implemented by podshim)', () => {}],
  ['name subdomain', (p) => { p.metadata.name = 'Web_1'; }, 'metadata.name: must be a lowercase RFC 1123 subdomain', (p) => { p.metadata.name = 'web.example-1'; }],
  ['name length', (p) => { p.metadata.name = 'a'.repeat(254); }, 'metadata.name: must be no more than 253 characters', (p) => { p.metadata.name = 'a'.repeat(253); }],
  ['namespace label', (p) => { p.metadata.namespace = 'a.b'; }, 'metadata.namespace: must be a lowercase RFC 1123 label', (p) => { p.metadata.namespace = 'kube-system'; }],
  ['label key', (p) => { p.metadata.labels = { '-bad': 'x' }; }, 'metadata.labels: name part must consist', (p) => { p.metadata.labels = { 'app.kubernetes.io/name': 'web' }; }],
  ['label value', (p) => { p.metadata.labels = { app: 'a b' }; }, 'metadata.labels[app]: must be empty or consist', (p) => { p.metadata.labels = { app: '' }; }],
  ['label value type', (p) => { p.metadata.labels = { version: 1 }; }, 'metadata.labels[version]: must be a string (got number 1)', (p) => { p.metadata.labels = { version: '1' }; }],
  ['annotation key', (p) => { p.metadata.annotations = { 'a/b/c': 'x' }; }, 'metadata.annotations: must be a name with an optional DNS subdomain prefix', (p) => { p.metadata.annotations = { 'example.com/note': 'any text at all' }; }],
  ['annotation size', (p) => { p.metadata.annotations = { big: 'x'.repeat(262142) }; }, 'metadata.annotations: must have at most 262144 bytes (got 262145)', (p) => { p.metadata.annotations = { big: 'x'.repeat(262141) }; }],
  ['restartPolicy', (p) => { p.spec.restartPolicy = 'Sometimes'; }, 'spec.restartPolicy: unsupported value "Sometimes": supported values: "Always", "OnFailure", "Never"', (p) => { p.spec.restartPolicy = 'OnFailure'; }],
  ['grace period', (p) => { p.spec.terminationGracePeriodSeconds = -1; }, 'spec.terminationGracePeriodSeconds: must be greater than or equal to 0 (got -1)', (p) => { p.spec.terminationGracePeriodSeconds = 0; }],
  ['grace period type', (p) => { p.spec.terminationGracePeriodSeconds = '30'; }, 'spec.terminationGracePeriodSeconds: must be an integer (got string "30")', (p) => { p.spec.terminationGracePeriodSeconds = 30; }],
  ['activeDeadlineSeconds', (p) => { p.spec.activeDeadlineSeconds = 0; }, 'spec.activeDeadlineSeconds: must be between 1 and 2147483647, inclusive (got 0)', (p) => { p.spec.activeDeadlineSeconds = 1; }],
  ['activeDeadlineSeconds type', (p) => { p.spec.activeDeadlineSeconds = '60'; }, 'spec.activeDeadlineSeconds: must be an integer (got string "60")', (p) => { p.spec.activeDeadlineSeconds = 2147483647; }],
  ['grace period fraction', (p) => { p.spec.terminationGracePeriodSeconds = 1.5; }, 'spec.terminationGracePeriodSeconds: must be an integer (got number 1.5)', () => {}],
  ['hostname', (p) => { p.spec.hostname = 'my.host'; }, 'spec.hostname: must be a lowercase RFC 1123 label', (p) => { p.spec.hostname = 'my-host'; }],
  ['hostname length', (p) => { p.spec.hostname = 'h'.repeat(64); }, 'spec.hostname: must be no more than 63 characters', (p) => { p.spec.hostname = 'h'.repeat(63); }],
  ['setHostnameAsFQDN too long', (p) => { p.metadata.name = 'a'.repeat(40); p.spec.subdomain = 'svc'; p.spec.setHostnameAsFQDN = true; }, 'spec.setHostnameAsFQDN: failed to construct FQDN from pod hostname and cluster domain, FQDN aaaa', (p) => { p.spec.subdomain = 'svc'; p.spec.setHostnameAsFQDN = true; }],
  ['subdomain', (p) => { p.spec.subdomain = 'A'; }, 'spec.subdomain: must be a lowercase RFC 1123 label', (p) => { p.spec.subdomain = 'svc'; }],
  ['dnsPolicy', (p) => { p.spec.dnsPolicy = 'Cluster'; }, 'spec.dnsPolicy: unsupported value "Cluster"', (p) => { p.spec.dnsPolicy = 'Default'; }],
  ['dnsPolicy None', (p) => { p.spec.dnsPolicy = 'None'; }, 'spec.dnsConfig: required value: must provide `dnsConfig` when `dnsPolicy` is None', (p) => { p.spec.dnsPolicy = 'None'; p.spec.dnsConfig = { nameservers: ['1.1.1.1'] }; }],
  ['dnsPolicy None without a nameserver', (p) => { p.spec.dnsPolicy = 'None'; p.spec.dnsConfig = { searches: ['a.example'] }; }, 'spec.dnsConfig.nameservers: required value: must provide at least one DNS nameserver when `dnsPolicy` is None', (p) => { p.spec.dnsConfig = { searches: ['a.example'] }; }],
  ['dnsConfig nameservers', (p) => { p.spec.dnsConfig = { nameservers: ['1.1.1.1', 'dns.example'] }; }, 'spec.dnsConfig.nameservers[1]: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff) (got "dns.example")', (p) => { p.spec.dnsConfig = { nameservers: ['1.1.1.1', '2001:db8::1', '10.0.0.1'] }; }],
  ['dnsConfig nameserver count', (p) => { p.spec.dnsConfig = { nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }; }, 'spec.dnsConfig.nameservers: must not have more than 3 nameservers (got 4)', () => {}],
  ['dnsConfig searches', (p) => { p.spec.dnsConfig = { searches: ['Bad_Name'] }; }, 'spec.dnsConfig.searches[0]: ', (p) => { p.spec.dnsConfig = { searches: ['svc.cluster.local', 'example.com.', '.'] }; }],
  ['dnsConfig option name', (p) => { p.spec.dnsConfig = { options: [{ value: '5' }] }; }, 'spec.dnsConfig.options[0].name: required value', (p) => { p.spec.dnsConfig = { options: [{ name: 'ndots', value: '5' }] }; }],
  ['shareProcessNamespace + hostPID', (p) => { p.spec.shareProcessNamespace = true; p.spec.hostPID = true; }, 'spec.shareProcessNamespace: may not be true when hostPID is true', (p) => { p.spec.shareProcessNamespace = true; p.spec.hostPID = false; }],
  ['hostNetwork type', (p) => { p.spec.hostNetwork = 'yes'; }, 'spec.hostNetwork: must be a boolean (got string "yes")', (p) => { p.spec.hostNetwork = true; }],
  ['runAsUser', (p) => { p.spec.securityContext = { runAsUser: -1 }; }, 'spec.securityContext.runAsUser: must be between 0 and 2147483647, inclusive (got -1)', (p) => { p.spec.securityContext = { runAsUser: 1000, runAsGroup: 0, runAsNonRoot: true }; }],
  ['supplementalGroups', (p) => { p.spec.securityContext = { supplementalGroups: [1, 2147483648] }; }, 'spec.securityContext.supplementalGroups[1]: must be between 0 and 2147483647, inclusive', (p) => { p.spec.securityContext = { supplementalGroups: [1, 2] }; }],
  ['os name', (p) => { p.spec.os = { name: 'darwin' }; }, 'spec.os.name: unsupported value "darwin": supported values: "linux", "windows"', (p) => { p.spec.os = { name: 'linux' }; }],
  ['os name missing', (p) => { p.spec.os = {}; }, 'spec.os.name: required value', () => {}],
  ['readinessGates', (p) => { p.spec.readinessGates = [{ conditionType: 'bad type' }]; }, 'spec.readinessGates[0].conditionType: name part must consist', (p) => { p.spec.readinessGates = [{ conditionType: 'example.com/feature-1' }]; }],
  ['fsGroup', (p) => { p.spec.securityContext = { fsGroup: -1 }; }, 'spec.securityContext.fsGroup: must be between 0 and 2147483647, inclusive (got -1)', (p) => { p.spec.securityContext = { fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch' }; }],
  ['fsGroupChangePolicy', (p) => { p.spec.securityContext = { fsGroup: 1, fsGroupChangePolicy: 'Never' }; }, 'spec.securityContext.fsGroupChangePolicy: unsupported value "Never": supported values: "OnRootMismatch", "Always"', (p) => { p.spec.securityContext = { fsGroupChangePolicy: 'Always' }; }],
  ['sysctl name', (p) => { p.spec.securityContext = { sysctls: [{ name: 'Net.Core', value: '1' }] }; }, 'spec.securityContext.sysctls[0].name: must have at most 253 characters and match regex', (p) => { p.spec.securityContext = { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'kernel/shm_rmid_forced', value: '1' }] }; }],
  ['sysctl duplicate', (p) => { p.spec.securityContext = { sysctls: [{ name: 'kernel.sem', value: '1' }, { name: 'kernel.sem', value: '2' }] }; }, 'spec.securityContext.sysctls[1].name: duplicate value (got "kernel.sem")', () => {}],
  ['sysctl name missing', (p) => { p.spec.securityContext = { sysctls: [{ value: '1' }] }; }, 'spec.securityContext.sysctls[0].name: required value', () => {}],
  ['sysctl with hostNetwork', (p) => { p.spec.hostNetwork = true; p.spec.securityContext = { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] }; }, "spec.securityContext.sysctls[0].name: may not be specified when 'hostNetwork' is true", (p) => { p.spec.hostNetwork = true; p.spec.securityContext = { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] }; }],
  ['sysctl with hostIPC', (p) => { p.spec.hostIPC = true; p.spec.securityContext = { sysctls: [{ name: 'fs.mqueue.msg_max', value: '20' }] }; }, "spec.securityContext.sysctls[0].name: may not be specified when 'hostIPC' is true", (p) => { p.spec.hostIPC = true; p.spec.securityContext = { sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] }; }],
  ['hostAliases ip', (p) => { p.spec.hostAliases = [{ ip: '300.1.1.1', hostnames: ['db'] }]; }, 'spec.hostAliases[0].ip: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff) (got "300.1.1.1")', (p) => { p.spec.hostAliases = [{ ip: '10.0.0.1', hostnames: ['db.local'] }, { ip: '::1' }]; }],
  ['hostAliases hostname', (p) => { p.spec.hostAliases = [{ ip: '10.0.0.1', hostnames: ['DB'] }]; }, 'spec.hostAliases[0].hostnames[0]: must be a lowercase RFC 1123 subdomain', () => {}],
  ['nodeName', (p) => { p.spec.nodeName = 'Node_1'; }, 'spec.nodeName: must be a lowercase RFC 1123 subdomain', (p) => { p.spec.nodeName = 'node-1'; }],
  ['no containers', (p) => { p.spec.containers = []; }, 'spec.containers: required value: a pod needs at least one container', () => {}],
  ['containers type', (p) => { p.spec.containers = { name: 'a' }; }, 'spec.containers: must be a list (got an object)', () => {}],
  ['null list item', (p) => { p.spec.containers = [null]; }, 'spec.containers[0]: must not be null', () => {}],
  ['volume name', (p) => { p.spec.volumes = [{ name: 'Data', emptyDir: {} }]; }, 'spec.volumes[0].name: must be a lowercase RFC 1123 label', (p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; }],
  ['volume name missing', (p) => { p.spec.volumes = [{ emptyDir: {} }]; }, 'spec.volumes[0].name: required value', () => {}],
  ['volume names unique', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: {} }, { name: 'a', hostPath: { path: '/x' } }]; }, 'spec.volumes[1].name: duplicate value (got "a")', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: {} }, { name: 'b', hostPath: { path: '/x' } }]; }],
  ['two sources', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: {}, hostPath: { path: '/x' } }]; }, 'spec.volumes[0]: may not specify more than 1 volume type (got emptyDir, hostPath)', (p) => { p.spec.volumes = [{ name: 'a' }]; }],
  ['two sources, one unimplemented', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: {}, secret: { secretName: 's' } }]; }, 'spec.volumes[0]: may not specify more than 1 volume type (got emptyDir, secret)', () => {}],
  ['hostPath relative', (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: 'var/log' } }]; }, 'spec.volumes[0].hostPath.path: must be an absolute path (got "var/log")', (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/var/log', type: 'Directory' } }]; }],
  ['hostPath backstep', (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/var/../etc' } }]; }, "spec.volumes[0].hostPath.path: must not contain '..' (got \"/var/../etc\")", (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/var/..x' } }]; }],
  ['hostPath missing path', (p) => { p.spec.volumes = [{ name: 'a', hostPath: {} }]; }, 'spec.volumes[0].hostPath.path: required value', () => {}],
  ['hostPath type', (p) => { p.spec.volumes = [{ name: 'a', hostPath: { path: '/x', type: 'Dir' } }]; }, 'spec.volumes[0].hostPath.type: unsupported value "Dir": supported values: "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"', (p) => { p.spec.volumes = ['', 'DirectoryOrCreate', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'].map((type, i) => ({ name: `v${i}`, hostPath: { path: '/x', type } })); }],
  ['emptyDir medium', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: { medium: 'Disk' } }]; }, 'spec.volumes[0].emptyDir.medium: unsupported value "Disk": supported values: "", "Memory"', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }]; }],
  ['emptyDir sizeLimit', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: { sizeLimit: '1GB' } }]; }, 'spec.volumes[0].emptyDir.sizeLimit: invalid quantity "1GB": unknown suffix "GB"', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: { sizeLimit: 1000000 } }]; }],
  ['emptyDir sizeLimit negative', (p) => { p.spec.volumes = [{ name: 'a', emptyDir: { sizeLimit: '-1Mi' } }]; }, 'spec.volumes[0].emptyDir.sizeLimit: must be greater than or equal to 0 (got "-1Mi")', () => {}],
];

runCases(t, cases);

t.test('a string where an object is required names the path once', async (t) => {
  t.same(problemsOf(podWith((p) => { p.spec = 'x'; })), ['spec: must be an object (got string "x")']);
  t.same(problemsOf(podWith((p) => { p.spec.containers[0] = 'app'; })), ['spec.containers[0]: must be an object (got string "app")']);
});

t.test('annotation keys are checked lowercased, as ValidateAnnotations does', async (t) => {
  t.same(problemsOf(podWith((p) => { p.metadata.annotations = { 'Example.COM/Foo': 'x' }; })), []);
  t.match(problemsOf(podWith((p) => { p.metadata.annotations = { 'a/b/c': 'x' }; })), [/^metadata\.annotations: /]);
});

t.test('emptyDir: HugePages is a warning; sizeLimit on disk is not enforced, and says so', async (t) => {
  const huge = podWith((p) => { p.spec.volumes = [{ name: 'a', emptyDir: { medium: 'HugePages-2Mi' } }]; });
  t.same(problemsOf(huge), []);
  t.same(warningsOf(huge), ['spec.volumes[0].emptyDir.medium: "HugePages-2Mi" is not implemented by podshim: a directory on disk is used']);
  const disk = podWith((p) => { p.spec.volumes = [{ name: 'a', emptyDir: { sizeLimit: '1Gi' } }]; });
  t.same(warningsOf(disk), ['spec.volumes[0].emptyDir.sizeLimit: not enforced by podshim on a disk-backed emptyDir (kubelet evicts the pod past it)']);
  t.same(warningsOf(podWith((p) => { p.spec.volumes = [{ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }]; })), []);
});

t.test('metadata.uid: a plain name, since podshim names directories and the cgroup after it', async (t) => {
  t.same(problemsOf(podWith((p) => { p.metadata.uid = '0a1b2c3d-0000-4000-8000-000000000001'; })), []);
  t.match(problemsOf(podWith((p) => { p.metadata.uid = '../x'; })), [/^metadata\.uid: must be at most 128 letters, digits/]);
});

t.test('a map key "__proto__" is judged as a key, not dropped', async (t) => {
  const raw = JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"__proto__":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}');
  t.match(problemsOf(raw), [/^metadata\.labels: /]);
});

t.test('automountServiceAccountToken: false is what podshim does; true says no token is mounted', async (t) => {
  t.same(warningsOf(podWith((p) => { p.spec.automountServiceAccountToken = false; })), []);
  t.same(warningsOf(podWith((p) => { p.spec.automountServiceAccountToken = true; })), ['spec.automountServiceAccountToken: no service account token is mounted: podshim has no API server to issue one']);
  t.same(problemsOf(podWith((p) => { p.spec.automountServiceAccountToken = 'no'; })), ['spec.automountServiceAccountToken: must be a boolean (got string "no")']);
});

t.test('mountPropagation Bidirectional in a privileged container is mounted as HostToContainer, and says so', async (t) => {
  const pod = podWith((p) => {
    p.spec.volumes = [{ name: 'd', hostPath: { path: '/mnt' } }];
    p.spec.containers[0].securityContext = { privileged: true };
    p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x', mountPropagation: 'Bidirectional' }];
  });
  t.same(problemsOf(pod), []);
  t.same(warningsOf(pod), ['spec.containers[0].volumeMounts[0].mountPropagation: Bidirectional is not implemented by podshim: mounted as HostToContainer (mounts the container makes there stay in it)']);
});
