// The Pod API as loadPod() returns it, after applyDefaults() (see the head
// of types.ts): every field Kubernetes' API defaulting always sets is
// non-optional here, and the lists and maps consumers iterate are always
// present. Consumers use these types only.
import type { Container, ContainerPort, DNSPolicy, DownwardAPIVolumeFile, EnvFromSource, EnvVar, HTTPGetAction, HostPathType, KeyToPath, LifecycleHandler, ObjectMeta, Pod, PodSecurityContext, PodSpec, Probe, Protocol, PullPolicy, ResourceList, RestartPolicy, StorageMedium, StringMap, TerminationMessagePolicy, URIScheme, VolumeMount } from './types';

export interface DefaultedObjectMeta extends ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  labels: StringMap;
  annotations: StringMap;
}

export interface DefaultedPod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: DefaultedObjectMeta;
  spec: DefaultedPodSpec;
}

export interface DefaultedPodSpec
  extends Omit<PodSpec, 'containers' | 'initContainers' | 'volumes' | 'securityContext'> {
  containers: DefaultedContainer[];
  initContainers: DefaultedContainer[];
  volumes: DefaultedVolume[];
  restartPolicy: RestartPolicy;
  terminationGracePeriodSeconds: number;
  dnsPolicy: DNSPolicy;
  enableServiceLinks: boolean;
  schedulerName: string;
  /** the ServiceAccount admission's default, "default" */
  serviceAccountName: string;
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  shareProcessNamespace: boolean;
  securityContext: PodSecurityContext;
}

export interface DefaultedContainer
  extends Omit<
    Container,
    | 'command'
    | 'args'
    | 'env'
    | 'envFrom'
    | 'ports'
    | 'resources'
    | 'volumeMounts'
    | 'livenessProbe'
    | 'readinessProbe'
    | 'startupProbe'
    | 'lifecycle'
  > {
  image: string;
  imagePullPolicy: PullPolicy;
  command: string[];
  args: string[];
  env: EnvVar[];
  envFrom: EnvFromSource[];
  ports: DefaultedContainerPort[];
  resources: { requests: ResourceList; limits: ResourceList };
  volumeMounts: VolumeMount[];
  livenessProbe?: DefaultedProbe;
  readinessProbe?: DefaultedProbe;
  startupProbe?: DefaultedProbe;
  lifecycle?: DefaultedLifecycle;
  terminationMessagePath: string;
  terminationMessagePolicy: TerminationMessagePolicy;
}

export interface DefaultedContainerPort extends ContainerPort {
  protocol: Protocol;
}

export interface DefaultedHTTPGetAction extends HTTPGetAction {
  path: string;
  scheme: URIScheme;
}

export interface DefaultedProbe extends Omit<Probe, 'httpGet'> {
  httpGet?: DefaultedHTTPGetAction;
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface DefaultedLifecycleHandler extends Omit<LifecycleHandler, 'httpGet'> {
  httpGet?: DefaultedHTTPGetAction;
}

export interface DefaultedLifecycle {
  postStart?: DefaultedLifecycleHandler;
  preStop?: DefaultedLifecycleHandler;
  stopSignal?: string;
}

export interface DefaultedVolume {
  name: string;
  emptyDir?: { medium: StorageMedium; sizeLimit?: string };
  hostPath?: { path: string; type: HostPathType };
  configMap?: DefaultedKeySource;
  /** `secretName` as `name`, the same shape as a configMap's */
  secret?: DefaultedKeySource;
  downwardAPI?: { items: DownwardAPIVolumeFile[]; defaultMode: number };
  projected?: { sources: DefaultedVolumeProjection[]; defaultMode: number };
}

/** A configMap or secret volume (or projection): the object's name, with `items` and `optional` always present. */
export interface DefaultedKeySource {
  name: string;
  items: KeyToPath[];
  /** 0644 where unset (SetDefaults_ConfigMapVolumeSource, …); a projection's is its volume's */
  defaultMode: number;
  optional: boolean;
}

/** One implemented source of a projected volume. */
export interface DefaultedVolumeProjection {
  configMap?: DefaultedKeySource;
  secret?: DefaultedKeySource;
  downwardAPI?: { items: DownwardAPIVolumeFile[] };
}
