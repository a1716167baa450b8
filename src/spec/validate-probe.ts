// Probe and lifecycle-hook rules (Kubernetes validateProbe,
// validateLifecycle, validateHandler in pkg/apis/core/validation).
//
// A probe field set to 0 is Kubernetes' "unset": defaulting turns 0 into the
// default (timeoutSeconds 1, periodSeconds 10, …) before validation, so 0 is
// accepted here and only negative numbers are errors.

import type { Reporter } from './check-schema';
import { httpHeaderName, portName } from './names';
import type { HTTPGetAction, LifecycleHandler, Probe, TCPSocketAction } from './types';
import { atLeast, checkName, got, inRange, oneOfDefaulted } from './validate-rules';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const HOOK_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

/** A port given as a number or as the name of a container port. */
export function checkPortNumOrName(report: Reporter, path: string, port: number | string | undefined): void {
  if (port === undefined || port === '') {
    report.error(path, 'required value');
  } else if (typeof port === 'number') {
    inRange(report, path, port, 1, 65535);
  } else {
    checkName(report, path, port, portName);
  }
}

/** Exactly one handler (one podshim warned about and dropped counts too, through `report.hasWarning`). */
function checkHandlerCount(report: Reporter, path: string, handler: object, names: readonly string[]): void {
  const set = names.filter(
    (n) => (handler as Record<string, unknown>)[n] !== undefined || report.hasWarning(`${path}.${n}`),
  );
  if (set.length === 0) report.error(path, `must specify a handler type: one of ${names.join(', ')}`);
  if (set.length > 1) report.error(path, `may not specify more than 1 handler type (got ${set.join(', ')})`);
}

function checkHttpGet(report: Reporter, path: string, action: HTTPGetAction): void {
  checkPortNumOrName(report, `${path}.port`, action.port);
  oneOfDefaulted(report, `${path}.scheme`, action.scheme, ['HTTP', 'HTTPS']);
  (action.httpHeaders ?? []).forEach((header, i) => {
    const headerPath = `${path}.httpHeaders[${i}].name`;
    if (header.name === undefined || header.name === '') report.error(headerPath, 'required value');
    else checkName(report, headerPath, header.name, httpHeaderName);
  });
}

function checkTcpSocket(report: Reporter, path: string, action: TCPSocketAction): void {
  checkPortNumOrName(report, `${path}.port`, action.port);
}

function checkActions(report: Reporter, path: string, handler: Probe | LifecycleHandler): void {
  if (handler.exec !== undefined && (handler.exec.command ?? []).length === 0) {
    report.error(`${path}.exec.command`, 'required value');
  }
  if (handler.httpGet !== undefined) checkHttpGet(report, `${path}.httpGet`, handler.httpGet);
  if (handler.tcpSocket !== undefined) checkTcpSocket(report, `${path}.tcpSocket`, handler.tcpSocket);
  // validateGRPCAction: a port number only, no name
  if ('grpc' in handler && handler.grpc !== undefined) {
    if (handler.grpc.port === undefined) report.error(`${path}.grpc.port`, 'required value');
    else inRange(report, `${path}.grpc.port`, handler.grpc.port, 1, 65535);
  }
}

export function checkProbe(report: Reporter, path: string, probe: Probe, kind: ProbeKind): void {
  checkHandlerCount(report, path, probe, PROBE_HANDLERS);
  checkActions(report, path, probe);
  for (const field of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    atLeast(report, `${path}.${field}`, probe[field], 0);
  }
  const success = probe.successThreshold;
  if (kind !== 'readiness' && success !== undefined && success > 1) {
    // as Kubernetes: liveness and startup probes act on the first success
    report.error(`${path}.successThreshold`, `must be 1 ${got(success)}`);
  }
  const grace = probe.terminationGracePeriodSeconds;
  if (grace !== undefined) {
    if (kind === 'readiness') {
      report.error(`${path}.terminationGracePeriodSeconds`, 'must not be set for readinessProbes');
    } else {
      atLeast(report, `${path}.terminationGracePeriodSeconds`, grace, 1);
    }
  }
}

/** postStart/preStop; `podGraceSeconds` bounds a sleep action, as Kubernetes. */
export function checkLifecycleHandler(
  report: Reporter,
  path: string,
  handler: LifecycleHandler,
  podGraceSeconds: number,
): void {
  checkHandlerCount(report, path, handler, HOOK_HANDLERS);
  checkActions(report, path, handler);
  if (handler.sleep === undefined) return;
  const seconds = handler.sleep.seconds;
  if (seconds === undefined) {
    report.error(`${path}.sleep.seconds`, 'required value');
  } else if (seconds < 0 || seconds > podGraceSeconds) {
    report.error(
      `${path}.sleep.seconds`,
      `must be non-negative and at most terminationGracePeriodSeconds (${podGraceSeconds}) ${got(seconds)}`,
    );
  }
}
