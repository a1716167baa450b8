import t from 'tap';
import { runCases, type Raw, type RuleCase } from './fixtures/pods';

const c0 = 'spec.containers[0]';
const withContainer = (change: Raw) => (p: Raw) => { Object.assign(p.spec.containers[0], change); };
const withInit = (init: Raw) => (p: Raw) => { p.spec.initContainers = [{ name: 'init', image: 'busybox', ...init }]; };
const probe = (extra: Raw = {}): Raw => ({ exec: { command: ['true'] }, ...extra });

const cases: RuleCase[] = [
  ['container name', withContainer({ name: 'App' }), `${c0}.name: must be a lowercase RFC 1123 label`, withContainer({ name: 'app-1' })],
  ['container name missing', (p) => { delete p.spec.containers[0].name; }, `${c0}.name: required value`, () => {}],
  ['names unique across init and regular', (p) => { p.spec.initContainers = [{ name: 'app', image: 'x' }]; }, `${c0}.name: duplicate value (got "app")`, (p) => { p.spec.initContainers = [{ name: 'setup', image: 'x' }]; }],
  ['image required', (p) => { delete p.spec.containers[0].image; }, `${c0}.image: required value`, () => {}],
  ['image whitespace', withContainer({ image: ' busybox' }), `${c0}.image: must not have leading or trailing whitespace`, () => {}],
  ['imagePullPolicy', withContainer({ imagePullPolicy: 'Sometimes' }), `${c0}.imagePullPolicy: unsupported value "Sometimes": supported values: "Always", "IfNotPresent", "Never"`, withContainer({ imagePullPolicy: 'Never' })],
  ['terminationMessagePolicy', withContainer({ terminationMessagePolicy: 'Logs' }), `${c0}.terminationMessagePolicy: unsupported value "Logs"`, withContainer({ terminationMessagePolicy: 'FallbackToLogsOnError', terminationMessagePath: '/tmp/msg' })],
  ['command type', withContainer({ command: 'sleep 1' }), `${c0}.command: must be a list (got string "sleep 1")`, withContainer({ command: ['sleep'], args: ['1'], workingDir: '/tmp' })],
  ['args item type', withContainer({ args: ['a', 1] }), `${c0}.args[1]: must be a string (got number 1)`, () => {}],
  ['restartPolicy on a regular container', withContainer({ restartPolicy: 'Always' }), `${c0}.restartPolicy: may not be set for non-init containers (got "Always")`, () => {}],
  ['init restartPolicy', withInit({ restartPolicy: 'OnFailure' }), 'spec.initContainers[0].restartPolicy: unsupported value "OnFailure": supported values: "Always"', withInit({ restartPolicy: 'Always' })],
  ['init container lifecycle', withInit({ lifecycle: { preStop: { sleep: { seconds: 1 } } } }), 'spec.initContainers[0].lifecycle: may not be set for init containers without restartPolicy=Always', withInit({ restartPolicy: 'Always', lifecycle: { preStop: { sleep: { seconds: 1 } } } })],
  ['init container livenessProbe', withInit({ livenessProbe: probe() }), 'spec.initContainers[0].livenessProbe: may not be set for init containers without restartPolicy=Always', withInit({ restartPolicy: 'Always', livenessProbe: probe() })],
  ['init container readinessProbe', withInit({ readinessProbe: probe() }), 'spec.initContainers[0].readinessProbe: may not be set', withInit({ restartPolicy: 'Always', readinessProbe: probe() })],
  ['init container startupProbe', withInit({ startupProbe: probe() }), 'spec.initContainers[0].startupProbe: may not be set', withInit({ restartPolicy: 'Always', startupProbe: probe() })],
  // ports
  ['containerPort range', withContainer({ ports: [{ containerPort: 80 }, { containerPort: 70000 }] }), `${c0}.ports[1].containerPort: must be between 1 and 65535, inclusive (got 70000)`, withContainer({ ports: [{ containerPort: 1 }, { containerPort: 65535 }] })],
  ['containerPort zero', withContainer({ ports: [{ containerPort: 0 }] }), `${c0}.ports[0].containerPort: must be between 1 and 65535, inclusive (got 0)`, () => {}],
  ['containerPort missing', withContainer({ ports: [{ name: 'http' }] }), `${c0}.ports[0].containerPort: required value`, () => {}],
  ['containerPort type', withContainer({ ports: [{ containerPort: '80' }] }), `${c0}.ports[0].containerPort: must be a 32-bit integer (got string "80")`, () => {}],
  ['protocol', withContainer({ ports: [{ containerPort: 80, protocol: 'tcp' }] }), `${c0}.ports[0].protocol: unsupported value "tcp": supported values: "TCP", "UDP", "SCTP"`, withContainer({ ports: [{ containerPort: 80, protocol: 'UDP' }, { containerPort: 81, protocol: 'SCTP' }] })],
  ['port name length', withContainer({ ports: [{ containerPort: 80, name: 'a-very-long-port-name' }] }), `${c0}.ports[0].name: must be no more than 15 characters`, withContainer({ ports: [{ containerPort: 80, name: 'http-alt' }] })],
  ['port name letters', withContainer({ ports: [{ containerPort: 80, name: '8080' }] }), `${c0}.ports[0].name: must contain at least one letter (a-z)`, () => {}],
  ['port name hyphens', withContainer({ ports: [{ containerPort: 80, name: 'a--b' }] }), `${c0}.ports[0].name: must not contain consecutive hyphens`, () => {}],
  ['port name case', withContainer({ ports: [{ containerPort: 80, name: 'HTTP' }] }), `${c0}.ports[0].name: must contain only alpha-numeric characters`, () => {}],
  ['port names unique', withContainer({ ports: [{ containerPort: 80, name: 'http' }, { containerPort: 81, name: 'http' }] }), `${c0}.ports[1].name: duplicate value (got "http")`, () => {}],
  // env
  ['env name', withContainer({ env: [{ name: 'A=B', value: 'x' }] }), `${c0}.env[0].name: must consist only of printable ASCII characters other than '='`, withContainer({ env: [{ name: 'my.env-name', value: 'x' }, { name: '_X' }, { name: '1ABC' }, { name: 'my var' }] })],
  ['env name control character', withContainer({ env: [{ name: 'A\tB', value: 'x' }] }), `${c0}.env[0].name: must consist only of printable ASCII characters other than '='`, () => {}],
  ['valueFrom with two sources', withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } }] }), `${c0}.env[0].valueFrom: may not have more than one field specified at a time (got fieldRef, secretKeyRef)`, withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['Example.COM/x']" } } }] })],
  ['env name missing', withContainer({ env: [{ value: 'x' }] }), `${c0}.env[0].name: required value`, () => {}],
  ['env value type', withContainer({ env: [{ name: 'PORT', value: 8080 }] }), `${c0}.env[0].value: must be a string (got number 8080)`, withContainer({ env: [{ name: 'PORT', value: '8080' }] })],
  ['env value and valueFrom', withContainer({ env: [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }), `${c0}.env[0].valueFrom: may not be specified when \`value\` is not empty`, withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })],
  ['env valueFrom empty', withContainer({ env: [{ name: 'A', valueFrom: {} }] }), `${c0}.env[0].valueFrom: must specify one of: fieldRef`, () => {}],
  ['env fieldPath', withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }] }), `${c0}.env[0].valueFrom.fieldRef.fieldPath: unsupported value "metadata.labels"`, withContainer({ env: ['metadata.namespace', 'metadata.uid', 'spec.nodeName', 'status.podIP', "metadata.labels['app']", "metadata.annotations['example.com/x']"].map((fieldPath, i) => ({ name: `V${i}`, valueFrom: { fieldRef: { fieldPath, apiVersion: 'v1' } } })) })],
  ['env fieldRef apiVersion', withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } }] }), `${c0}.env[0].valueFrom.fieldRef.apiVersion: unsupported value "v2"`, () => {}],
  ['env fieldPath label key', withContainer({ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['-x']" } } }] }), `${c0}.env[0].valueFrom.fieldRef.fieldPath: name part must consist`, () => {}],
  // resources
  ['quantity', withContainer({ resources: { limits: { memory: '5Gb' } } }), `${c0}.resources.limits[memory]: invalid quantity "5Gb": unknown suffix "Gb"`, withContainer({ resources: { limits: { memory: '5Gi', cpu: 2 }, requests: { cpu: '500m', memory: 1e9 } } })],
  ['quantity type', withContainer({ resources: { limits: { memory: true } } }), `${c0}.resources.limits[memory]: must be a quantity string`, () => {}],
  ['negative quantity', withContainer({ resources: { requests: { cpu: '-1' } } }), `${c0}.resources.requests[cpu]: must be greater than or equal to 0 (got "-1")`, () => {}],
  ['requests over limits', withContainer({ resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '1500m', memory: '1Gi' } } }), `${c0}.resources.requests[cpu]: must be less than or equal to cpu limit of "1500m" (got "2")`, withContainer({ resources: { requests: { cpu: '1.5' }, limits: { cpu: '1500m' } } })],
  ['unknown resource name', withContainer({ resources: { limits: { gpu: '1' } } }), `${c0}.resources.limits[gpu]: must be a standard resource type or fully qualified (got "gpu")`, withContainer({ resources: { limits: { 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi', 'hugepages-2Mi': '2Mi' } } })],
  ['resources field', withContainer({ resources: { limit: {} } }), `${c0}.resources.limit: unknown field`, () => {}],
  // volume mounts
  ['mount of a missing volume', withContainer({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }), `${c0}.volumeMounts[0].name: volume not found (got "data")`, (p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data', readOnly: true, subPath: 'a/b' }]; }],
  ['recursiveReadOnly value', (p) => { p.spec.volumes = [{ name: 'd', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/d', readOnly: true, recursiveReadOnly: 'Always' }]; }, `${c0}.volumeMounts[0].recursiveReadOnly: unsupported value "Always": supported values: "Disabled", "IfPossible", "Enabled"`, (p) => { p.spec.volumes = [{ name: 'd', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/d', readOnly: true, recursiveReadOnly: 'IfPossible' }, { name: 'd', mountPath: '/e', recursiveReadOnly: 'Disabled' }]; }],
  ['recursiveReadOnly without readOnly', (p) => { p.spec.volumes = [{ name: 'd', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/d', recursiveReadOnly: 'Enabled' }]; }, `${c0}.volumeMounts[0].recursiveReadOnly: may only be specified when readOnly is true`, () => {}],
  ['mountPath relative', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: 'data' }]; }, `${c0}.volumeMounts[0].mountPath: must be an absolute path (got "data")`, () => {}],
  ['mountPath missing', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd' }]; }, `${c0}.volumeMounts[0].mountPath: required value`, () => {}],
  ['mountPath unique', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x' }, { name: 'd', mountPath: '/x' }]; }, `${c0}.volumeMounts[1].mountPath: must be unique (got "/x")`, (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x' }, { name: 'd', mountPath: '/y' }]; }],
  ['subPath absolute', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x', subPath: '/a' }]; }, `${c0}.volumeMounts[0].subPath: must be a relative path (got "/a")`, () => {}],
  ['subPath backstep', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x', subPath: 'a/../../b' }]; }, `${c0}.volumeMounts[0].subPath: must not contain '..'`, (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/x', subPath: 'a/..b' }]; }],
  ['mountPath backstep', (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/a/../b' }]; }, `${c0}.volumeMounts[0].mountPath: must not contain '..' (got "/a/../b")`, (p) => { p.spec.volumes = [{ name: 'd' }]; p.spec.containers[0].volumeMounts = [{ name: 'd', mountPath: '/a/..b' }]; }],
  // security context
  ['container runAsUser', withContainer({ securityContext: { runAsUser: 2147483648 } }), `${c0}.securityContext.runAsUser: must be between 0 and 2147483647, inclusive`, withContainer({ securityContext: { runAsUser: 0, runAsGroup: 10, runAsNonRoot: false, readOnlyRootFilesystem: true } })],
  ['capability added', withContainer({ securityContext: { capabilities: { add: ['NET_WIZARD'] } } }), `${c0}.securityContext.capabilities.add[0]: unknown capability (got "NET_WIZARD")`, withContainer({ securityContext: { capabilities: { add: ['NET_ADMIN', 'cap_sys_time', 'ALL'], drop: ['all'] } } })],
  ['capability dropped', withContainer({ securityContext: { capabilities: { drop: ['KILL', 'nope'] } } }), `${c0}.securityContext.capabilities.drop[1]: unknown capability (got "nope")`, withContainer({ securityContext: { capabilities: { drop: ['CAP_KILL'] } } })],
  ['no privilege escalation with SYS_ADMIN', withContainer({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } } }), `${c0}.securityContext.allowPrivilegeEscalation: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`, withContainer({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN', 'SYS_ADMIN'] } } })],
  ['not privileged without privilege escalation', withContainer({ securityContext: { allowPrivilegeEscalation: false, privileged: true } }), `${c0}.securityContext.allowPrivilegeEscalation: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`, withContainer({ securityContext: { allowPrivilegeEscalation: true, privileged: true } })],
];

runCases(t, cases);

