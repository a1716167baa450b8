// The Kubernetes v1 Pod schema as podshim sees it: every field Kubernetes
// knows, and for each whether podshim implements it. This table is the one
// place to flip a field from warned to implemented.
//
//  - implemented (`str`, `int`, `obj(…)`, …): type-checked, validated, used.
//  - `todos(…)`: a real Kubernetes field podshim does not act on: a warning
//    "not implemented by podshim, ignored", its contents are not checked
//    (only its shape: a list, an object, a boolean, …), and defaults.ts
//    drops it from the output.
//  - `SERVER`: fields the API server fills in (creationTimestamp,
//    resourceVersion, managedFields, status, …). `kubectl get -o yaml` output
//    carries them, so they are accepted silently and dropped — except
//    top-level `status`, which warns as the brief asks.
//  - any name not in the table: an error, "unknown field".
//
// Field lists follow k8s.io/api/core/v1/types.go as of Kubernetes 1.33.

/** `quantity`: a string, or a YAML number which Kubernetes also accepts ("cpu: 1"). */
export type ScalarType = 'string' | 'integer' | 'int32' | 'boolean' | 'number' | 'intOrString' | 'quantity';

export type Field =
  | { readonly kind: 'scalar'; readonly type: ScalarType }
  | { readonly kind: 'object'; readonly fields: Schema }
  | { readonly kind: 'array'; readonly items: Field }
  | { readonly kind: 'map'; readonly values: ScalarType; /** a Secret's: an error never shows a value */ readonly isSecret?: boolean }
  | { readonly kind: 'todo'; readonly note?: string; readonly shape?: 'string' | 'boolean' | 'integer' | 'int32' | 'array' | 'object' | 'map' }
  | { readonly kind: 'server'; readonly warn?: boolean };

export type Schema = { readonly [name: string]: Field };

const str: Field = { kind: 'scalar', type: 'string' };
const int: Field = { kind: 'scalar', type: 'integer' };
/** an int32 in the Go types: Kubernetes' decoder refuses a larger number */
const int32: Field = { kind: 'scalar', type: 'int32' };
const bool: Field = { kind: 'scalar', type: 'boolean' };
const intOrString: Field = { kind: 'scalar', type: 'intOrString' };
const stringMap: Field = { kind: 'map', values: 'string' };
/** A Secret's data: a value of the wrong type is named by its type alone. */
const secretMap: Field = { kind: 'map', values: 'string', isSecret: true };
const quantity: Field = { kind: 'scalar', type: 'quantity' };
const resourceList: Field = { kind: 'map', values: 'quantity' };
const SERVER: Field = { kind: 'server' };
const obj = (fields: Schema): Field => ({ kind: 'object', fields });
const arr = (items: Field): Field => ({ kind: 'array', items });
const strings = arr(str);

/** Names of all fields in `names`, each marked not implemented. */
const todos = (...names: string[]): Schema => Object.fromEntries(names.map((n) => [n, { kind: 'todo', shape: TODO_SHAPES[n] } as Field]));

/**
 * The Go type's shape of each field podshim does not implement: its
 * contents are not read, but a value of another shape is refused, as the
 * API server's decoder refuses it (`tolerations: yes`).
 */
const TODO_SHAPES: Readonly<Record<string, 'string' | 'boolean' | 'integer' | 'int32' | 'array' | 'object' | 'map'>> = {
  generateName: 'string', ownerReferences: 'array', finalizers: 'array', deletionGracePeriodSeconds: 'integer',
  fileKeyRef: 'object',
  hostIP: 'string', claims: 'array',
  procMount: 'string', seLinuxOptions: 'object', seccompProfile: 'object', appArmorProfile: 'object', windowsOptions: 'object',
  stdin: 'boolean', stdinOnce: 'boolean', tty: 'boolean', resizePolicy: 'array', restartPolicyRules: 'array', volumeDevices: 'array',
  seLinuxChangePolicy: 'string', supplementalGroupsPolicy: 'string',
  affinity: 'object', ephemeralContainers: 'array', hostUsers: 'boolean', hostnameOverride: 'string',
  nodeSelector: 'map', overhead: 'map', preemptionPolicy: 'string', priority: 'int32', priorityClassName: 'string',
  resourceClaims: 'array', resources: 'object', runtimeClassName: 'string', schedulingGates: 'array', tolerations: 'array',
  topologySpreadConstraints: 'array',
};

const objectMeta = obj({
  name: str,
  namespace: str,
  uid: str,
  labels: stringMap,
  annotations: stringMap,
  ...todos('generateName', 'ownerReferences', 'finalizers', 'deletionGracePeriodSeconds'),
  creationTimestamp: SERVER,
  deletionTimestamp: SERVER,
  generation: SERVER,
  managedFields: SERVER,
  resourceVersion: SERVER,
  selfLink: SERVER,
});

const execAction = obj({ command: strings });
const httpGetAction = obj({
  path: str,
  port: intOrString,
  host: str,
  scheme: str,
  httpHeaders: arr(obj({ name: str, value: str })),
});
const tcpSocketAction = obj({ port: intOrString, host: str });

const probe = obj({
  exec: execAction,
  httpGet: httpGetAction,
  tcpSocket: tcpSocketAction,
  grpc: obj({ port: int32, service: str }),
  initialDelaySeconds: int32,
  timeoutSeconds: int32,
  periodSeconds: int32,
  successThreshold: int32,
  failureThreshold: int32,
  terminationGracePeriodSeconds: int,
});

const lifecycleHandler = obj({
  exec: execAction,
  httpGet: httpGetAction,
  tcpSocket: tcpSocketAction,
  sleep: obj({ seconds: int }),
});

/** configMapKeyRef and secretKeyRef: one key of an object given beside the pod */
const keySelector = obj({ name: str, key: str, optional: bool });

const envVar = obj({
  name: str,
  value: str,
  valueFrom: obj({
    fieldRef: obj({ apiVersion: str, fieldPath: str }),
    resourceFieldRef: obj({ containerName: str, resource: str, divisor: quantity }),
    configMapKeyRef: keySelector,
    secretKeyRef: keySelector,
    ...todos('fileKeyRef'),
  }),
});

const envFromSource = obj({
  prefix: str,
  configMapRef: obj({ name: str, optional: bool }),
  secretRef: obj({ name: str, optional: bool }),
});

const container = obj({
  name: str,
  image: str,
  imagePullPolicy: str,
  command: strings,
  args: strings,
  workingDir: str,
  env: arr(envVar),
  envFrom: arr(envFromSource),
  ports: arr(
    obj({ name: str, containerPort: int32, hostPort: int32, protocol: str, ...todos('hostIP') }),
  ),
  resources: obj({ requests: resourceList, limits: resourceList, ...todos('claims') }),
  volumeMounts: arr(
    obj({
      name: str,
      mountPath: str,
      readOnly: bool,
      subPath: str,
      recursiveReadOnly: str,
      subPathExpr: str,
      mountPropagation: str,
    }),
  ),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: obj({ postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: str }),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  restartPolicy: str,
  securityContext: obj({
    runAsUser: int,
    runAsGroup: int,
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    privileged: bool,
    capabilities: obj({ add: strings, drop: strings }),
    ...todos(
      'procMount',
      'seLinuxOptions',
      'seccompProfile',
      'appArmorProfile',
      'windowsOptions',
    ),
  }),
  ...todos('stdin', 'stdinOnce', 'tty', 'resizePolicy', 'restartPolicyRules', 'volumeDevices'),
});

/** Volume sources podshim cannot provide; each is replaced by an empty directory. */
export const UNIMPLEMENTED_VOLUME_SOURCES: readonly string[] = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi',
  'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo',
  'glusterfs', 'image', 'iscsi', 'nfs', 'persistentVolumeClaim', 'photonPersistentDisk',
  'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos',
  'vsphereVolume',
];

/** Projected volume sources only a cluster can issue: each is left out of its volume, whose other sources work. */
export const UNIMPLEMENTED_PROJECTIONS: readonly string[] = ['serviceAccountToken', 'clusterTrustBundle', 'podCertificate'];

const keyToPath = obj({ key: str, path: str, mode: int32 });
const downwardAPIVolumeFile = obj({
  path: str,
  fieldRef: obj({ apiVersion: str, fieldPath: str }),
  resourceFieldRef: obj({ containerName: str, resource: str, divisor: quantity }),
  mode: int32,
});
const projectionTodo: Field = { kind: 'todo', note: 'not implemented by podshim (there is no cluster to issue it): left out of the volume', shape: 'object' };
const volumeProjection = obj({
  configMap: obj({ name: str, items: arr(keyToPath), optional: bool }),
  secret: obj({ name: str, items: arr(keyToPath), optional: bool }),
  downwardAPI: obj({ items: arr(downwardAPIVolumeFile) }),
  ...Object.fromEntries(UNIMPLEMENTED_PROJECTIONS.map((n) => [n, projectionTodo])),
});

const volumeSourceTodo: Field = {
  kind: 'todo',
  note: 'not implemented by podshim, an empty directory is mounted instead',
  shape: 'object',
};

const volume = obj({
  name: str,
  emptyDir: obj({ medium: str, sizeLimit: quantity }),
  hostPath: obj({ path: str, type: str }),
  configMap: obj({ name: str, items: arr(keyToPath), defaultMode: int32, optional: bool }),
  secret: obj({ secretName: str, items: arr(keyToPath), defaultMode: int32, optional: bool }),
  downwardAPI: obj({ items: arr(downwardAPIVolumeFile), defaultMode: int32 }),
  projected: obj({ sources: arr(volumeProjection), defaultMode: int32 }),
  ...Object.fromEntries(UNIMPLEMENTED_VOLUME_SOURCES.map((n) => [n, volumeSourceTodo])),
});

const podSpec = obj({
  containers: arr(container),
  initContainers: arr(container),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  hostname: str,
  subdomain: str,
  hostNetwork: bool,
  setHostnameAsFQDN: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  volumes: arr(volume),
  securityContext: obj({
    runAsUser: int,
    runAsGroup: int,
    runAsNonRoot: bool,
    supplementalGroups: arr(int),
    fsGroup: int,
    // every volume podshim chowns is new and empty: OnRootMismatch and Always come to the same
    fsGroupChangePolicy: str,
    sysctls: arr(obj({ name: str, value: str })),
    ...todos(
      'seLinuxOptions',
      'seLinuxChangePolicy',
      'seccompProfile',
      'appArmorProfile',
      'supplementalGroupsPolicy',
      'windowsOptions',
    ),
  }),
  hostAliases: arr(obj({ ip: str, hostnames: strings })),
  dnsPolicy: str,
  dnsConfig: obj({ nameservers: strings, searches: strings, options: arr(obj({ name: str, value: str })) }),
  enableServiceLinks: bool,
  nodeName: str,
  schedulerName: str,
  // what the downward API tells; podshim mounts no token (there is no API server to issue one): false is what it does
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  activeDeadlineSeconds: int,
  readinessGates: arr(obj({ conditionType: str })),
  imagePullSecrets: arr(obj({ name: str })),
  os: obj({ name: str }),
  ...todos(
    'affinity',
    'ephemeralContainers',
    'hostUsers',
    'hostnameOverride',
    'nodeSelector',
    'overhead',
    'preemptionPolicy',
    'priority',
    'priorityClassName',
    'resourceClaims',
    'resources',
    'runtimeClassName',
    'schedulingGates',
    'tolerations',
    'topologySpreadConstraints',
  ),
});

/** The whole Pod object. */
export const POD_SCHEMA: Schema = {
  apiVersion: str,
  kind: str,
  metadata: objectMeta,
  spec: podSpec,
  status: { kind: 'server', warn: true },
};

/** A v1 ConfigMap given beside the Pod, for its env and volumes (validate-config-object.ts). */
export const CONFIG_MAP_SCHEMA: Schema = {
  apiVersion: str,
  kind: str,
  metadata: objectMeta,
  data: stringMap,
  /** base64, as the JSON of a []byte */
  binaryData: stringMap,
  // nothing can change an object here: immutable or not, it is the same
  immutable: bool,
};

/** A v1 Secret given beside the Pod. */
export const SECRET_SCHEMA: Schema = {
  apiVersion: str,
  kind: str,
  metadata: objectMeta,
  /** base64 */
  data: secretMap,
  /** text merged over data, as the API server merges it when it stores the Secret */
  stringData: secretMap,
  type: str,
  immutable: bool,
};
