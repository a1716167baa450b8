// Kubernetes' API defaults (pkg/apis/core/v1/defaults.go), applied to a
// validated, cleaned Pod (validatePod().pod) to give a DefaultedPod. Pure:
// the uid generator is passed in. Fields podshim ignores were already
// dropped by validation, so what is returned holds only what podshim acts on.

import type {
  Container,
  DefaultedContainer,
  DefaultedHTTPGetAction,
  DefaultedKeySource,
  DefaultedLifecycleHandler,
  DefaultedPod,
  DefaultedProbe,
  DefaultedVolume,
  HTTPGetAction,
  KeyToPath,
  LifecycleHandler,
  Pod,
  Probe,
  PullPolicy,
  Volume,
} from './types';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** the ServiceAccount admission plugin's default */
const DEFAULT_SERVICE_ACCOUNT = 'default';
const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** SetDefaults_Probe */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 10,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

export interface DefaultsOptions {
  /** Makes metadata.uid when the manifest has none (e.g. crypto.randomUUID). */
  newUid: () => string;
}

/**
 * Always for a `:latest` tag or no tag at all, else IfNotPresent; a digest
 * without a tag is IfNotPresent (SetDefaults_Container via ParseImageName).
 * A `docker://` transport prefix is ignored; other transports' references
 * are read the same way, by the tag on their last path element.
 */
export function defaultPullPolicy(image: string): PullPolicy {
  const reference = image.startsWith('docker://') ? image.slice('docker://'.length) : image;
  const at = reference.indexOf('@');
  const hasDigest = at !== -1;
  const name = hasDigest ? reference.slice(0, at) : reference;
  const lastElement = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastElement.lastIndexOf(':');
  const tag = colon === -1 ? '' : lastElement.slice(colon + 1);
  if (tag === 'latest' || (tag === '' && !hasDigest)) return 'Always';
  return 'IfNotPresent';
}

export function applyDefaults(pod: Pod, options: DefaultsOptions): DefaultedPod {
  const { metadata, spec } = pod;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...metadata,
      name: metadata.name ?? '',
      namespace: metadata.namespace || DEFAULT_NAMESPACE,
      uid: metadata.uid || options.newUid(),
      labels: { ...metadata.labels },
      annotations: { ...metadata.annotations },
    },
    spec: {
      ...spec,
      containers: spec.containers.map((c) => defaultContainer(c, spec.hostNetwork === true)),
      initContainers: (spec.initContainers ?? []).map((c) => defaultContainer(c, spec.hostNetwork === true)),
      volumes: (spec.volumes ?? []).map(defaultVolume),
      restartPolicy: spec.restartPolicy || 'Always',
      terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      dnsPolicy: spec.dnsPolicy || 'ClusterFirst',
      enableServiceLinks: spec.enableServiceLinks ?? true,
      schedulerName: spec.schedulerName || DEFAULT_SCHEDULER_NAME,
      // v1 conversion takes the deprecated field when the new one is empty; ServiceAccount admission defaults the rest
      serviceAccountName: spec.serviceAccountName || spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT,
      hostNetwork: spec.hostNetwork ?? false,
      hostPID: spec.hostPID ?? false,
      hostIPC: spec.hostIPC ?? false,
      // podshim's documented difference (DESIGN.md): containers share pause's PID
      // namespace unless the manifest says false, so pause can be seen reaping
      shareProcessNamespace: spec.shareProcessNamespace ?? spec.hostPID !== true,
      securityContext: { ...spec.securityContext },
    },
  };
}

function defaultContainer(c: Container, hostNetwork: boolean): DefaultedContainer {
  const { livenessProbe, readinessProbe, startupProbe, lifecycle, ...rest } = c;
  const limits = { ...c.resources?.limits };
  // SetDefaults_Pod: a limit without a request makes the request equal to it
  const requests = { ...limits, ...c.resources?.requests };
  const image = c.image ?? '';
  const defaulted: DefaultedContainer = {
    ...rest,
    image,
    imagePullPolicy: c.imagePullPolicy || defaultPullPolicy(image),
    command: c.command ?? [],
    args: c.args ?? [],
    envFrom: c.envFrom ?? [],
    // an env var whose only source podshim ignores (fileKeyRef) was warned about; drop it
    env: (c.env ?? [])
      .filter((e) => e.valueFrom === undefined || Object.keys(e.valueFrom).length > 0)
      .map((e) =>
        e.valueFrom?.fieldRef === undefined
          ? e
          : { ...e, valueFrom: { fieldRef: { apiVersion: 'v1', ...e.valueFrom.fieldRef } } },
      ),
    // SetDefaults_Pod: under hostNetwork a port's hostPort is its containerPort
    ports: (c.ports ?? []).map((p) => ({
      ...p,
      protocol: p.protocol || 'TCP',
      ...(hostNetwork && !p.hostPort ? { hostPort: p.containerPort } : {}),
    })),
    resources: { requests, limits },
    volumeMounts: c.volumeMounts ?? [],
    terminationMessagePath: c.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: c.terminationMessagePolicy || 'File',
  };
  const probes = { livenessProbe, readinessProbe, startupProbe };
  for (const [field, probe] of Object.entries(probes) as [keyof typeof probes, Probe | undefined][]) {
    const defaultedProbe = defaultProbe(probe);
    if (defaultedProbe !== undefined) defaulted[field] = defaultedProbe;
  }
  if (lifecycle !== undefined) {
    defaulted.lifecycle = {};
    if (lifecycle.postStart) defaulted.lifecycle.postStart = defaultHandler(lifecycle.postStart);
    if (lifecycle.preStop) defaulted.lifecycle.preStop = defaultHandler(lifecycle.preStop);
    if (lifecycle.stopSignal !== undefined) defaulted.lifecycle.stopSignal = lifecycle.stopSignal;
  }
  return defaulted;
}

function defaultHttpGet(action: HTTPGetAction | undefined): DefaultedHTTPGetAction | undefined {
  if (action === undefined) return undefined;
  return { ...action, path: action.path || '/', scheme: action.scheme || 'HTTP' };
}

/** 0 is "unset" in the API, so it takes the default too, as in SetDefaults_Probe. */
function orDefault(value: number | undefined, fallback: number): number {
  return value === undefined || value === 0 ? fallback : value;
}

function defaultProbe(probe: Probe | undefined): DefaultedProbe | undefined {
  if (probe === undefined || (!probe.exec && !probe.httpGet && !probe.tcpSocket && !probe.grpc)) return undefined;
  const { httpGet, ...rest } = probe;
  const defaulted: DefaultedProbe = {
    ...rest,
    initialDelaySeconds: probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds,
    timeoutSeconds: orDefault(probe.timeoutSeconds, PROBE_DEFAULTS.timeoutSeconds),
    periodSeconds: orDefault(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds),
    successThreshold: orDefault(probe.successThreshold, PROBE_DEFAULTS.successThreshold),
    failureThreshold: orDefault(probe.failureThreshold, PROBE_DEFAULTS.failureThreshold),
  };
  if (httpGet !== undefined) defaulted.httpGet = defaultHttpGet(httpGet);
  return defaulted;
}

function defaultHandler(handler: LifecycleHandler): DefaultedLifecycleHandler {
  const { httpGet, ...rest } = handler;
  return httpGet === undefined ? rest : { ...rest, httpGet: defaultHttpGet(httpGet) };
}

/** SetDefaults_ConfigMapVolumeSource, _SecretVolumeSource, _DownwardAPIVolumeSource and _ProjectedVolumeSource: 0644 */
export const DEFAULT_VOLUME_FILE_MODE = 0o644;

function defaultVolume(volume: Volume): DefaultedVolume {
  const { name } = volume;
  if (volume.hostPath !== undefined) {
    return { name, hostPath: { path: volume.hostPath.path, type: volume.hostPath.type ?? '' } };
  }
  if (volume.configMap !== undefined) return { name, configMap: defaultKeySource(volume.configMap.name, volume.configMap, volume.configMap.defaultMode) };
  if (volume.secret !== undefined) return { name, secret: defaultKeySource(volume.secret.secretName, volume.secret, volume.secret.defaultMode) };
  if (volume.downwardAPI !== undefined) {
    return { name, downwardAPI: { items: volume.downwardAPI.items ?? [], defaultMode: volume.downwardAPI.defaultMode ?? DEFAULT_VOLUME_FILE_MODE } };
  }
  if (volume.projected !== undefined) {
    const defaultMode = volume.projected.defaultMode ?? DEFAULT_VOLUME_FILE_MODE;
    // a source podshim cannot issue (serviceAccountToken, …) was dropped by validation and leaves an empty entry
    const sources = (volume.projected.sources ?? []).filter((s) => s.configMap !== undefined || s.secret !== undefined || s.downwardAPI !== undefined).map((s) => {
      if (s.configMap !== undefined) return { configMap: defaultKeySource(s.configMap.name, s.configMap, defaultMode) };
      if (s.secret !== undefined) return { secret: defaultKeySource(s.secret.name, s.secret, defaultMode) };
      return { downwardAPI: { items: s.downwardAPI?.items ?? [] } };
    });
    return { name, projected: { sources, defaultMode } };
  }
  // SetDefaults_Volume: no source means emptyDir; ignored sources land here too
  const { medium = '', sizeLimit } = volume.emptyDir ?? {};
  return { name: volume.name, emptyDir: sizeLimit === undefined ? { medium } : { medium, sizeLimit } };
}

function defaultKeySource(name: string | undefined, source: { items?: KeyToPath[]; optional?: boolean }, defaultMode: number | undefined): DefaultedKeySource {
  return { name: name ?? '', items: source.items ?? [], defaultMode: defaultMode ?? DEFAULT_VOLUME_FILE_MODE, optional: source.optional === true };
}
