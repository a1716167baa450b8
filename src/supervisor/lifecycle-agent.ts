// The seam between the pod state machine and the container lifecycle
// machinery kubelet runs beside it: probes (startup, liveness, readiness)
// and hooks (postStart, preStop). The supervisor tells the agent what
// happens to a container; the agent calls back with probe outcomes.
import type { DefaultedContainer } from '../spec/types'
import type { ContainerRecord } from './container-record'

export interface ProbeCallbacks {
  /** the startupProbe succeeded (never called for a container without one) */
  onStarted(): void
  /** the readinessProbe's state changed */
  onReady(isReady: boolean): void
  /** liveness or startup failed for good: kill (with this grace) and restart by policy */
  onUnhealthy(probe: 'liveness' | 'startup', graceMs: number): void
}

export interface LifecycleAgent {
  probesOf(container: DefaultedContainer): { hasStartup: boolean; hasReadiness: boolean }
  /** a new instance runs: start its probe workers */
  containerStarted(rec: ContainerRecord, callbacks: ProbeCallbacks): void
  /** run the postStart hook; resolves with an error message when it failed */
  postStart(rec: ContainerRecord): Promise<string | undefined>
  /** the preStop hook of a running container, if it has one */
  preStopFor(rec: ContainerRecord): (() => Promise<string | undefined>) | undefined
  /** the pod is terminating: liveness and startup stop, readiness reports not ready */
  podTerminating(rec: ContainerRecord): void
  /** the instance exited: its probe workers stop */
  containerStopped(rec: ContainerRecord): void
  close(): Promise<void>
}

/** For pods without probes or hooks. */
export const NO_LIFECYCLE: LifecycleAgent = {
  probesOf: () => ({ hasStartup: false, hasReadiness: false }),
  containerStarted: () => {},
  postStart: async () => undefined,
  preStopFor: () => undefined,
  podTerminating: () => {},
  containerStopped: () => {},
  close: async () => {},
}
