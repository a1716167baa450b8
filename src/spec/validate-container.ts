// Per-container rules (Kubernetes validateContainers / validateInitContainers
// in pkg/apis/core/validation), for regular containers, sidecars (init
// containers with restartPolicy Always) and regular init containers.

import type { Reporter } from './check-schema';
import { dns1123Label, envVarName, hasBackstep, portName, qualifiedName } from './names';
import type { Quantity } from './quantity';
import type { Container, ContainerPort, EnvVar, ResourceList, SecurityContext } from './types';
import { checkEnvFrom, checkKeySelector } from './validate-env-sources';
import { checkObjectFieldSelector, checkResourceFieldSelector } from './validate-field-selectors';
import { capabilityNumber } from '../sandbox/capability-sets';
import { checkLifecycleHandler, checkProbe } from './validate-probe';
import { checkStopSignal } from './stop-signals';
import {
  absolutePath,
  checkName,
  checkQuantity,
  got,
  inRange,
  oneOf,
  oneOfDefaulted,
  required,
  unique,
} from './validate-rules';

export type ContainerRole = 'container' | 'init' | 'sidecar';

export interface ContainerContext {
  role: ContainerRole;
  volumeNames: ReadonlySet<string>;
  podGraceSeconds: number;
  /** spec.hostNetwork: the containers listen on the host's ports themselves */
  hostNetwork: boolean;
  /** spec.os.name, where spec.os is set */
  osName?: string;
}

/** Resources podshim turns into cgroup values. */
const ENFORCED_RESOURCES = ['cpu', 'memory'];
/** Standard container resources podshim accepts but does not enforce. */
const UNENFORCED_RESOURCE_RE = /^(ephemeral-storage|hugepages-.+)$/;

const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

/**
 * hostPort: a port number where set (0 is unset). With hostNetwork the
 * API server defaults it to containerPort and requires the two equal; the
 * container then listens on the host's port itself, as podshim runs it.
 * Without hostNetwork kubelet has the CNI portmap plugin forward it into the
 * pod's network namespace, which podshim does not do.
 */
function checkHostPort(report: Reporter, portPath: string, port: ContainerPort, hostNetwork: boolean): void {
  if (port.hostPort === undefined || port.hostPort === 0) return;
  inRange(report, `${portPath}.hostPort`, port.hostPort, 1, 65535);
  if (hostNetwork && port.hostPort !== port.containerPort) {
    report.error(`${portPath}.containerPort`, `must match \`hostPort\` when \`hostNetwork\` is true ${got(port.containerPort)}`);
  } else if (!hostNetwork) {
    report.warn(`${portPath}.hostPort`, 'not implemented by podshim, ignored: nothing forwards the host\'s port into the pod\'s network namespace (with hostNetwork: true a container listens on the host\'s ports itself)');
  }
}

export function checkContainer(report: Reporter, path: string, c: Container, context: ContainerContext): void {
  if (required(report, `${path}.name`, c.name)) checkName(report, `${path}.name`, c.name, dns1123Label);
  if (required(report, `${path}.image`, c.image) && c.image.trim() !== c.image) {
    report.error(`${path}.image`, `must not have leading or trailing whitespace ${got(c.image)}`);
  }
  oneOfDefaulted(report, `${path}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']);
  oneOfDefaulted(report, `${path}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']);
  checkRoleRules(report, path, c, context.role);

  c.ports?.forEach((port, i) => {
    const portPath = `${path}.ports[${i}]`;
    if (port.containerPort === undefined) report.error(`${portPath}.containerPort`, 'required value');
    inRange(report, `${portPath}.containerPort`, port.containerPort, 1, 65535);
    checkHostPort(report, portPath, port, context.hostNetwork);
    if (port.name !== undefined && port.name !== '') checkName(report, `${portPath}.name`, port.name, portName);
    oneOfDefaulted(report, `${portPath}.protocol`, port.protocol, ['TCP', 'UDP', 'SCTP']);
  });
  unique(report, c.ports ?? [], (p) => p.name, (_, i) => `${path}.ports[${i}].name`);

  c.env?.forEach((env, i) => checkEnv(report, `${path}.env[${i}]`, env));
  c.envFrom?.forEach((source, i) => checkEnvFrom(report, `${path}.envFrom[${i}]`, source));
  checkResources(report, `${path}.resources`, c.resources?.requests ?? {}, c.resources?.limits ?? {});
  checkMounts(report, path, c, context.volumeNames);

  if (c.livenessProbe) checkProbe(report, `${path}.livenessProbe`, c.livenessProbe, 'liveness');
  if (c.readinessProbe) checkProbe(report, `${path}.readinessProbe`, c.readinessProbe, 'readiness');
  if (c.startupProbe) checkProbe(report, `${path}.startupProbe`, c.startupProbe, 'startup');
  for (const hook of ['postStart', 'preStop'] as const) {
    const handler = c.lifecycle?.[hook];
    if (handler) checkLifecycleHandler(report, `${path}.lifecycle.${hook}`, handler, context.podGraceSeconds);
  }
  if (c.lifecycle?.stopSignal !== undefined) checkStopSignal(report, `${path}.lifecycle.stopSignal`, c.lifecycle.stopSignal, context.osName);
  const security = c.securityContext;
  inRange(report, `${path}.securityContext.runAsUser`, security?.runAsUser, 0, 2147483647);
  inRange(report, `${path}.securityContext.runAsGroup`, security?.runAsGroup, 0, 2147483647);
  checkCapabilities(report, `${path}.securityContext`, security);
}

/** Capability names as containerd takes them (with or without CAP_, any case, or ALL); Kubernetes' rules on privilege escalation. */
function checkCapabilities(report: Reporter, path: string, security: SecurityContext | undefined): void {
  for (const list of ['add', 'drop'] as const) {
    security?.capabilities?.[list]?.forEach((name, i) => {
      if (name.toUpperCase() !== 'ALL' && capabilityNumber(name) === undefined) {
        report.error(`${path}.capabilities.${list}[${i}]`, `unknown capability ${got(name)}`);
      }
    });
  }
  // ValidateSecurityContext compares the literal string, so `add: [SYS_ADMIN]` passes there, and here
  const addsSysAdmin = security?.capabilities?.add?.includes('CAP_SYS_ADMIN') === true;
  if (security?.allowPrivilegeEscalation === false && addsSysAdmin) {
    report.error(`${path}.allowPrivilegeEscalation`, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN');
  }
  if (security?.allowPrivilegeEscalation === false && security.privileged === true) {
    report.error(`${path}.allowPrivilegeEscalation`, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true');
  }
}

function checkRoleRules(report: Reporter, path: string, c: Container, role: ContainerRole): void {
  if (role === 'container') {
    if (c.restartPolicy !== undefined) {
      report.error(`${path}.restartPolicy`, `may not be set for non-init containers ${got(c.restartPolicy)}`);
    }
    return;
  }
  oneOf(report, `${path}.restartPolicy`, c.restartPolicy, ['Always']);
  if (role !== 'init') return;
  // as Kubernetes: only sidecars may have hooks and probes among init containers
  for (const field of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    if (c[field] !== undefined) {
      report.error(`${path}.${field}`, 'may not be set for init containers without restartPolicy=Always');
    }
  }
}

function checkEnv(report: Reporter, path: string, env: EnvVar): void {
  if (required(report, `${path}.name`, env.name)) checkName(report, `${path}.name`, env.name, envVarName);
  if (env.valueFrom === undefined) return;
  if (env.value !== undefined && env.value !== '') {
    report.error(`${path}.valueFrom`, 'may not be specified when `value` is not empty');
  }
  const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((s) =>
    (env.valueFrom as Record<string, unknown>)[s] !== undefined || report.hasWarning(`${path}.valueFrom.${s}`),
  );
  if (sources.length > 1) {
    report.error(`${path}.valueFrom`, `may not have more than one field specified at a time (got ${sources.join(', ')})`);
    return;
  }
  if (env.valueFrom.resourceFieldRef !== undefined) {
    checkResourceFieldSelector(report, `${path}.valueFrom.resourceFieldRef`, env.valueFrom.resourceFieldRef, false);
    return;
  }
  for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
    const selector = env.valueFrom[ref];
    if (selector !== undefined) checkKeySelector(report, `${path}.valueFrom.${ref}`, selector);
  }
  const fieldRef = env.valueFrom.fieldRef;
  if (fieldRef === undefined) {
    // a fileKeyRef was warned about and counts as a source
    if (sources.length === 0) {
      report.error(`${path}.valueFrom`, 'must specify one of: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef');
    }
    return;
  }
  checkObjectFieldSelector(report, `${path}.valueFrom.fieldRef`, fieldRef, ENV_FIELD_PATHS);
}

function checkResourceList(report: Reporter, path: string, list: ResourceList): Map<string, Quantity> {
  const parsed = new Map<string, Quantity>();
  for (const [name, text] of Object.entries(list)) {
    const itemPath = `${path}[${name}]`;
    if (UNENFORCED_RESOURCE_RE.test(name) || (name.includes('/') && qualifiedName(name).length === 0)) {
      report.warn(itemPath, 'not enforced by podshim, ignored');
    } else if (!ENFORCED_RESOURCES.includes(name)) {
      report.error(itemPath, `must be a standard resource type or fully qualified ${got(name)}`);
      continue;
    }
    const quantity = checkQuantity(report, itemPath, text);
    if (quantity !== undefined) parsed.set(name, quantity);
  }
  return parsed;
}

function checkResources(report: Reporter, path: string, requests: ResourceList, limits: ResourceList): void {
  const parsedLimits = checkResourceList(report, `${path}.limits`, limits);
  const parsedRequests = checkResourceList(report, `${path}.requests`, requests);
  for (const [name, request] of parsedRequests) {
    const limit = parsedLimits.get(name);
    if (limit !== undefined && request.cmp(limit) > 0) {
      report.error(
        `${path}.requests[${name}]`,
        `must be less than or equal to ${name} limit of ${JSON.stringify(limit.text)} ${got(request.text)}`,
      );
    }
  }
}

function checkMounts(report: Reporter, path: string, c: Container, volumeNames: ReadonlySet<string>): void {
  const mounts = c.volumeMounts ?? [];
  mounts.forEach((mount, i) => {
    const mountPath = `${path}.volumeMounts[${i}]`;
    if (required(report, `${mountPath}.name`, mount.name) && !volumeNames.has(mount.name)) {
      report.error(`${mountPath}.name`, `volume not found ${got(mount.name)}`);
    }
    if (required(report, `${mountPath}.mountPath`, mount.mountPath)) {
      absolutePath(report, `${mountPath}.mountPath`, mount.mountPath);
      // podshim's rule (the container's paths never climb): refused here, with its path, not at the container's start
      if (hasBackstep(mount.mountPath)) report.error(`${mountPath}.mountPath`, `must not contain '..' ${got(mount.mountPath)}`);
    }
    oneOf(report, `${mountPath}.recursiveReadOnly`, mount.recursiveReadOnly, ['Disabled', 'IfPossible', 'Enabled']);
    const isRecursiveReadOnly = mount.recursiveReadOnly !== undefined && mount.recursiveReadOnly !== 'Disabled';
    if (isRecursiveReadOnly && mount.readOnly !== true) {
      report.error(`${mountPath}.recursiveReadOnly`, 'may only be specified when readOnly is true');
    }
    const propagation = mount.mountPropagation;
    if (isRecursiveReadOnly && propagation !== undefined && propagation !== 'None') {
      report.error(`${mountPath}.recursiveReadOnly`, 'may only be specified when mountPropagation is None or not specified');
    }
    oneOf(report, `${mountPath}.mountPropagation`, propagation, ['Bidirectional', 'HostToContainer', 'None']);
    if (propagation === 'Bidirectional') {
      if (c.securityContext?.privileged !== true) report.error(`${mountPath}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers');
      else report.warn(`${mountPath}.mountPropagation`, 'Bidirectional is not implemented by podshim: mounted as HostToContainer (mounts the container makes there stay in it)');
    }
    for (const field of ['subPath', 'subPathExpr'] as const) {
      const subPath = mount[field];
      if (subPath === undefined || subPath === '') continue;
      if (subPath.startsWith('/')) report.error(`${mountPath}.${field}`, `must be a relative path ${got(subPath)}`);
      if (hasBackstep(subPath)) report.error(`${mountPath}.${field}`, `must not contain '..' ${got(subPath)}`);
    }
    if (mount.subPathExpr && mount.subPath) {
      report.error(`${mountPath}.subPathExpr`, `subPathExpr and subPath are mutually exclusive ${got(mount.subPathExpr)}`);
    }
  });
  unique(report, mounts, (m) => m.mountPath, (_, i) => `${path}.volumeMounts[${i}].mountPath`, 'must be unique');
}
