// The part of the Kubernetes core/v1 Pod API that podshim reads, field names
// exactly as the API spells them (k8s.io/api/core/v1/types.go).
//
// Two layers:
//  - `Pod`, `Container`, `Probe`, … are the manifest as written: every field
//    the API marks optional is optional here. validatePod() checks an
//    `unknown` against these shapes.
//  - `DefaultedPod`, `DefaultedContainer`, `DefaultedProbe`, … are what
//    loadPod() returns after applyDefaults(): every field Kubernetes' API
//    defaulting always sets (pkg/apis/core/v1/defaults.go) is non-optional.
//    As a podshim convenience, list and map fields that consumers iterate
//    (containers, initContainers, volumes, env, ports, volumeMounts, command,
//    args, labels, annotations, resources.requests/limits) are always present,
//    empty when the manifest left them out. Consumers should use the
//    Defaulted* types only.
//
// Fields podshim does not implement yet are typed here too where the brief
// lists them, so the schema table (schema.ts) and these types stay aligned;
// schema.ts is the source of truth for implemented vs warned.

/** A `map[string]string` in the API. */
export type StringMap = Record<string, string>;

/** Quantities stay strings in the spec; parse them with parseQuantity(). */
export type ResourceList = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: StringMap;
  annotations?: StringMap;
  generateName?: string;
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type DNSPolicy = 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default' | 'None';
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type URIScheme = 'HTTP' | 'HTTPS';
export type TerminationMessagePolicy = 'File' | 'FallbackToLogsOnError';
export type MountPropagationMode = 'None' | 'HostToContainer' | 'Bidirectional';
export type HostPathType =
  | ''
  | 'DirectoryOrCreate'
  | 'Directory'
  | 'FileOrCreate'
  | 'File'
  | 'Socket'
  | 'CharDevice'
  | 'BlockDevice';
export type StorageMedium = '' | 'Memory';

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  /** conditions the pod's Ready waits for besides its containers (set by controllers through the API) */
  readinessGates?: { conditionType: string }[];
  /** Secrets (given beside the pod) whose registry credentials pulls try first; an empty name is ignored, as kubelet ignores it */
  imagePullSecrets?: { name?: string }[];
  /** podshim mounts no token whatever it says; true gets a warning */
  automountServiceAccountToken?: boolean;
  /** the OS the pod is for: kubelet admits only its node's */
  os?: { name: string };
  hostname?: string;
  subdomain?: string;
  /** the pod's FQDN as its kernel hostname (kubelet's GetNodenameForKernel) */
  setHostnameAsFQDN?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  shareProcessNamespace?: boolean;
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  hostAliases?: HostAlias[];
  dnsPolicy?: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  enableServiceLinks?: boolean;
  nodeName?: string;
  schedulerName?: string;
  serviceAccountName?: string;
  /** DeprecatedServiceAccount: the API server takes it when serviceAccountName is empty */
  serviceAccount?: string;
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  fsGroup?: number;
  fsGroupChangePolicy?: string;
  sysctls?: Sysctl[];
}

export interface Sysctl {
  name: string;
  value: string;
}

export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: { name: string; value?: string }[];
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: PullPolicy;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
  terminationMessagePath?: string;
  terminationMessagePolicy?: TerminationMessagePolicy;
  /** Init containers only: "Always" makes it a sidecar (KEP-753). */
  restartPolicy?: 'Always';
  securityContext?: SecurityContext;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: KeySelector;
  secretKeyRef?: KeySelector;
}

/** configMapKeyRef / secretKeyRef: one key of a ConfigMap or Secret given beside the pod. */
export interface KeySelector {
  name?: string;
  key: string;
  /** a missing object or key leaves the variable unset instead of failing the container */
  optional?: boolean;
}

export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: string;
}

/** Every key of a ConfigMap or Secret as a variable, `prefix` before its name. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: Protocol;
}

export interface ResourceRequirements {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
  mountPropagation?: MountPropagationMode;
  recursiveReadOnly?: 'Disabled' | 'IfPossible' | 'Enabled';
}

export interface ExecAction {
  command?: string[];
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPGetAction {
  path?: string;
  /** A number, or the name of a container port (IANA_SVC_NAME). */
  port: number | string;
  host?: string;
  scheme?: URIScheme;
  httpHeaders?: HTTPHeader[];
}

export interface TCPSocketAction {
  port: number | string;
  host?: string;
}

export interface GRPCAction {
  port: number;
  service?: string;
}

export interface SleepAction {
  seconds: number;
}

export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: SleepAction;
}

export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
  /** sent first when the container is stopped, over the image's STOPSIGNAL (stop-signals.ts) */
  stopSignal?: string;
}

export interface Capabilities {
  add?: string[];
  drop?: string[];
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: Capabilities;
}

export interface EmptyDirVolumeSource {
  medium?: StorageMedium;
  sizeLimit?: string;
}

export interface HostPathVolumeSource {
  path: string;
  type?: HostPathType;
}

/** One key of a ConfigMap or Secret projected to a file (`items`). */
export interface KeyToPath {
  key: string;
  path: string;
  /** the file's mode bits, 0–0777; defaultMode where unset */
  mode?: number;
}

export interface ConfigMapVolumeSource {
  name?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface SecretVolumeSource {
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

/** One file of a downwardAPI volume: exactly one of fieldRef and resourceFieldRef. */
export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface DownwardAPIVolumeSource {
  items?: DownwardAPIVolumeFile[];
  defaultMode?: number;
}

/** A ConfigMap or Secret in a projected volume (a Secret is named by `name` here). */
export interface KeyProjection {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}

/** One source of a projected volume; the kinds podshim cannot issue (serviceAccountToken, …) are warned and dropped. */
export interface VolumeProjection {
  configMap?: KeyProjection;
  secret?: KeyProjection;
  downwardAPI?: { items?: DownwardAPIVolumeFile[] };
}

export interface ProjectedVolumeSource {
  sources?: VolumeProjection[];
  defaultMode?: number;
}

/**
 * Exactly one source is set. A volume that names no source at all is
 * defaulted to `emptyDir: {}`, as Kubernetes' SetDefaults_Volume does.
 * Known-but-unimplemented sources (nfs, persistentVolumeClaim, …) draw a
 * warning and become an empty `emptyDir` in the DefaultedVolume.
 */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  hostPath?: HostPathVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  projected?: ProjectedVolumeSource;
}

// ---- After defaults.ts: defaulted-types.ts ------------------------------

export type * from './defaulted-types';

// ---- Diagnostics ----------------------------------------------------------

/** A validation error; `path` is the Kubernetes field path. */
export interface Problem {
  path: string;
  message: string;
}

/** Something accepted but not acted on (e.g. a field podshim ignores). */
export interface Warning {
  path: string;
  message: string;
}
