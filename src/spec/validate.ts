// validatePod: every problem in a raw manifest at once, each with its
// Kubernetes field path. Two passes: check-schema.ts (unknown fields, types,
// unimplemented fields) yields a cleaned, typed copy; then the semantic rules
// of Kubernetes' API validation (pkg/apis/core/validation) plus podshim's own
// (absolute mountPath and hostPath.path) run over that copy.

import { Reporter, checkField, describeValue, isPlainObject } from './check-schema';
import { dns1123Label, dns1123Subdomain, hasBackstep, qualifiedName } from './names';
import { POD_SCHEMA, UNIMPLEMENTED_VOLUME_SOURCES } from './schema';
import { kernelHostname } from './hostname';
import { SYSCTL_MAX_LENGTH, SYSCTL_NAME_PATTERN, isValidSysctlName, sysctlNamespace } from './sysctls';
import type { Container, ObjectMeta, Pod, PodSpec, Problem, Sysctl, Volume, Warning } from './types';
import { type ContainerRole, checkContainer } from './validate-container';
import { checkObjectMeta } from './validate-meta';
import { checkFileVolumeSource } from './validate-volume-sources';
import {
  absolutePath,
  atLeast,
  checkIpAddress,
  checkName,
  checkQuantity,
  got,
  inRange,
  oneOf,
  oneOfDefaulted,
  required,
  unique,
} from './validate-rules';

/** Kubernetes' limits on dnsConfig (pkg/apis/core/validation) */
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCHES = 32;
const MAX_DNS_SEARCH_CHARS = 2048;

export interface ValidationResult {
  problems: Problem[];
  warnings: Warning[];
  /** The manifest with only implemented, well-typed fields; use it only when `problems` is empty. */
  pod: Pod | undefined;
}

const DEFAULT_GRACE_SECONDS = 30;
const MAX_ID = 2147483647;

export function validatePod(raw: unknown): ValidationResult {
  const report = new Reporter();
  if (!isPlainObject(raw)) {
    report.error('', `manifest must be an object (got ${describeValue(raw)})`);
    return { problems: report.problems, warnings: report.warnings, pod: undefined };
  }
  if (typeof raw.kind === 'string' && raw.kind !== '' && raw.kind !== 'Pod') {
    // another kind of object: judging its fields as a Pod's would only bury this
    report.error('kind', `must be "Pod" ${got(raw.kind)}: podshim runs Pods only`);
    return { problems: report.problems, warnings: report.warnings, pod: undefined };
  }
  const pod = checkField(raw, { kind: 'object', fields: POD_SCHEMA }, '', report) as Partial<Pod>;
  if (pod.apiVersion !== 'v1' && required(report, 'apiVersion', pod.apiVersion)) {
    report.error('apiVersion', `must be "v1" ${got(pod.apiVersion)}`);
  }
  if (pod.kind !== 'Pod' && required(report, 'kind', pod.kind)) {
    report.error('kind', `must be "Pod" ${got(pod.kind)}`);
  }
  if (required(report, 'metadata', pod.metadata)) checkMetadata(report, pod.metadata);
  if (required(report, 'spec', pod.spec)) checkSpec(report, pod.spec, pod.metadata);
  return { problems: report.problems, warnings: report.warnings, pod: pod as Pod };
}

function checkMetadata(report: Reporter, meta: ObjectMeta): void {
  checkObjectMeta(report, meta);
  // any string in Kubernetes; podshim names the pod's directories and cgroup after it
  if (meta.uid !== undefined && meta.uid !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(meta.uid)) {
    report.error('metadata.uid', `must be at most 128 letters, digits, '-', '_' or '.', starting with a letter or digit: podshim names the pod's directories and cgroup after it ${got(meta.uid)}`);
  }
}

/** validatePodDNSConfig: at most 3 nameservers (IPs), 32 searches (DNS names, 2048 characters in all), named options; None needs a nameserver. */
function checkDnsConfig(report: Reporter, spec: PodSpec): void {
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === 'None') {
    if (config === undefined) {
      report.error('spec.dnsConfig', 'required value: must provide `dnsConfig` when `dnsPolicy` is None');
      return;
    }
    if ((config.nameservers ?? []).length === 0) {
      report.error('spec.dnsConfig.nameservers', 'required value: must provide at least one DNS nameserver when `dnsPolicy` is None');
    }
  }
  if (config === undefined) return;
  const nameservers = config.nameservers ?? [];
  if (nameservers.length > MAX_DNS_NAMESERVERS) {
    report.error('spec.dnsConfig.nameservers', `must not have more than ${MAX_DNS_NAMESERVERS} nameservers (got ${nameservers.length})`);
  }
  nameservers.forEach((ns, i) => {
    checkIpAddress(report, `spec.dnsConfig.nameservers[${i}]`, ns);
  });
  const searches = config.searches ?? [];
  if (searches.length > MAX_DNS_SEARCHES) {
    report.error('spec.dnsConfig.searches', `must not have more than ${MAX_DNS_SEARCHES} search paths (got ${searches.length})`);
  }
  const searchChars = searches.join(' ').length;
  if (searchChars > MAX_DNS_SEARCH_CHARS) {
    report.error('spec.dnsConfig.searches', `must not have more than ${MAX_DNS_SEARCH_CHARS} characters (including spaces) in the search list (got ${searchChars})`);
  }
  searches.forEach((search, i) => {
    // a trailing dot (an absolute name) is allowed, and "." alone
    if (search !== '.') checkName(report, `spec.dnsConfig.searches[${i}]`, search.replace(/\.$/, ''), dns1123Subdomain);
  });
  (config.options ?? []).forEach((option, i) => required(report, `spec.dnsConfig.options[${i}].name`, option.name));
}

/** validateSysctls, with ValidateHostSysctl: a namespaced sysctl of a namespace the pod shares with the host is refused. */
function checkSysctls(report: Reporter, sysctls: readonly Sysctl[], spec: PodSpec): void {
  const seen = new Set<string>();
  sysctls.forEach(({ name }, i) => {
    const path = `spec.securityContext.sysctls[${i}].name`;
    if (!required(report, path, name)) return;
    if (!isValidSysctlName(name)) {
      report.error(path, `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_NAME_PATTERN} ${got(name)}`);
    } else if (seen.has(name)) {
      report.error(path, `duplicate value ${got(name)}`);
    }
    seen.add(name);
    const ns = sysctlNamespace(name);
    if (ns === 'ipc' && spec.hostIPC === true) report.error(path, `may not be specified when 'hostIPC' is true ${got(name)}`);
    if (ns === 'net' && spec.hostNetwork === true) report.error(path, `may not be specified when 'hostNetwork' is true ${got(name)}`);
  });
}

function checkSpec(report: Reporter, spec: PodSpec, meta: ObjectMeta | undefined): void {
  oneOfDefaulted(report, 'spec.restartPolicy', spec.restartPolicy, ['Always', 'OnFailure', 'Never']);
  atLeast(report, 'spec.terminationGracePeriodSeconds', spec.terminationGracePeriodSeconds, 0);
  inRange(report, 'spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 1, MAX_ID);
  if (spec.automountServiceAccountToken === true) {
    report.warn('spec.automountServiceAccountToken', 'no service account token is mounted: podshim has no API server to issue one');
  }
  if (spec.os !== undefined && required(report, 'spec.os.name', spec.os.name)) oneOf(report, 'spec.os.name', spec.os.name, ['linux', 'windows']);
  spec.readinessGates?.forEach((gate, i) => {
    const path = `spec.readinessGates[${i}].conditionType`;
    if (required(report, path, gate.conditionType)) checkName(report, path, gate.conditionType, qualifiedName);
  });
  if (spec.hostname) checkName(report, 'spec.hostname', spec.hostname, dns1123Label);
  if (spec.subdomain) checkName(report, 'spec.subdomain', spec.subdomain, dns1123Label);
  if (spec.setHostnameAsFQDN === true && spec.hostNetwork !== true && meta?.name) {
    // kubelet's rule when it makes the sandbox (a pod it cannot start), refused here with the field
    try {
      kernelHostname({ metadata: { name: meta.name, namespace: meta.namespace || 'default' }, spec });
    } catch (err) {
      report.error('spec.setHostnameAsFQDN', (err as Error).message);
    }
  }
  if (spec.nodeName) checkName(report, 'spec.nodeName', spec.nodeName, dns1123Subdomain);
  // the deprecated serviceAccount counts only where serviceAccountName is empty (v1 conversion)
  if (spec.serviceAccountName) checkName(report, 'spec.serviceAccountName', spec.serviceAccountName, dns1123Subdomain);
  else if (spec.serviceAccount) checkName(report, 'spec.serviceAccount', spec.serviceAccount, dns1123Subdomain);
  oneOfDefaulted(report, 'spec.dnsPolicy', spec.dnsPolicy, ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None']);
  checkDnsConfig(report, spec);
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    report.error('spec.shareProcessNamespace', 'may not be true when hostPID is true');
  }
  const security = spec.securityContext;
  inRange(report, 'spec.securityContext.runAsUser', security?.runAsUser, 0, MAX_ID);
  inRange(report, 'spec.securityContext.runAsGroup', security?.runAsGroup, 0, MAX_ID);
  inRange(report, 'spec.securityContext.fsGroup', security?.fsGroup, 0, MAX_ID);
  oneOf(report, 'spec.securityContext.fsGroupChangePolicy', security?.fsGroupChangePolicy, ['OnRootMismatch', 'Always']);
  security?.supplementalGroups?.forEach((gid, i) => {
    inRange(report, `spec.securityContext.supplementalGroups[${i}]`, gid, 0, MAX_ID);
  });
  checkSysctls(report, security?.sysctls ?? [], spec);
  spec.hostAliases?.forEach((alias, i) => {
    const path = `spec.hostAliases[${i}]`;
    if (required(report, `${path}.ip`, alias.ip)) checkIpAddress(report, `${path}.ip`, alias.ip);
    alias.hostnames?.forEach((h, j) => checkName(report, `${path}.hostnames[${j}]`, h, dns1123Subdomain));
  });

  const volumes = spec.volumes ?? [];
  volumes.forEach((volume, i) => checkVolume(report, `spec.volumes[${i}]`, volume));
  unique(report, volumes, (v) => v.name, (_, i) => `spec.volumes[${i}].name`);

  const volumeNames = new Set(volumes.map((v) => v.name));
  const podGraceSeconds = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const hostNetwork = spec.hostNetwork === true;
  const containers = spec.containers ?? [];
  const initContainers = spec.initContainers ?? [];
  if (containers.length === 0) report.error('spec.containers', 'required value: a pod needs at least one container');
  const all: { path: string; name: string | undefined; role: ContainerRole }[] = [];
  initContainers.forEach((c, i) => {
    const path = `spec.initContainers[${i}]`;
    const role = c.restartPolicy === 'Always' ? 'sidecar' : 'init';
    checkContainer(report, path, c, { role, volumeNames, podGraceSeconds, hostNetwork, osName: spec.os?.name });
    all.push({ path, name: c.name, role });
  });
  containers.forEach((c, i) => {
    const path = `spec.containers[${i}]`;
    checkContainer(report, path, c, { role: 'container', volumeNames, podGraceSeconds, hostNetwork, osName: spec.os?.name });
    all.push({ path, name: c.name, role: 'container' });
  });
  unique(report, all, (c) => c.name, (c) => `${c.path}.name`);
  uniqueHostPorts(report, containers, hostNetwork);
}

/**
 * Kubernetes' AccumulateUniqueHostPorts over the regular containers: one
 * hostIP/protocol/hostPort each, after defaulting (under hostNetwork a
 * port's hostPort is its containerPort).
 */
function uniqueHostPorts(report: Reporter, containers: readonly Container[], hostNetwork: boolean): void {
  const ports = containers.flatMap((c, i) => (c.ports ?? []).map((port, j) => ({ port, path: `spec.containers[${i}].ports[${j}].hostPort` })));
  unique(report, ports, ({ port }) => {
    const hostPort = port.hostPort || (hostNetwork ? port.containerPort : 0);
    return hostPort ? `${port.hostIP ?? ''}/${port.protocol || 'TCP'}/${hostPort}` : undefined;
  }, ({ path }) => path);
}

function checkVolume(report: Reporter, path: string, volume: Volume): void {
  if (required(report, `${path}.name`, volume.name)) checkName(report, `${path}.name`, volume.name, dns1123Label);
  const sources = [
    ...(['emptyDir', 'hostPath', 'configMap', 'secret', 'downwardAPI', 'projected'] as const).filter((s) => volume[s] !== undefined),
    ...UNIMPLEMENTED_VOLUME_SOURCES.filter((s) => report.hasWarning(`${path}.${s}`)),
  ];
  // none at all is fine: Kubernetes' SetDefaults_Volume makes it an emptyDir
  if (sources.length > 1) report.error(path, `may not specify more than 1 volume type (got ${sources.join(', ')})`);
  checkFileVolumeSource(report, path, volume);

  if (volume.hostPath !== undefined) {
    const hostPath = volume.hostPath;
    if (required(report, `${path}.hostPath.path`, hostPath.path)) {
      absolutePath(report, `${path}.hostPath.path`, hostPath.path);
      if (hasBackstep(hostPath.path)) report.error(`${path}.hostPath.path`, `must not contain '..' ${got(hostPath.path)}`);
    }
    const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
    oneOf(report, `${path}.hostPath.type`, hostPath.type, types);
  }
  if (volume.emptyDir !== undefined) {
    const medium = volume.emptyDir.medium;
    if (medium !== undefined && /^HugePages(-.+)?$/.test(medium)) {
      report.warn(`${path}.emptyDir.medium`, `${JSON.stringify(medium)} is not implemented by podshim: a directory on disk is used`);
    } else {
      oneOf(report, `${path}.emptyDir.medium`, medium, ['', 'Memory']);
    }
    const sizeLimit = volume.emptyDir.sizeLimit;
    if (sizeLimit !== undefined) checkQuantity(report, `${path}.emptyDir.sizeLimit`, sizeLimit);
    if (sizeLimit !== undefined && medium !== 'Memory') {
      report.warn(`${path}.emptyDir.sizeLimit`, 'not enforced by podshim on a disk-backed emptyDir (kubelet evicts the pod past it)');
    }
  }
}
