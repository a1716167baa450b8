// One container of the pod as the supervisor tracks it: its spec, its
// current and last state in the Kubernetes shape, its restart count and
// backoff, and the running instance. State changes go through the methods
// here so that reasons and exit codes follow containerd's CRI rules.
import { randomBytes } from '../random-bytes'
import type { DefaultedContainer } from '../spec/types'
import type { ExitStatus } from '../native/contract'
import { CrashLoopBackoff } from './backoff'
import type { ContainerState, ContainerStatus } from './status'
import type { StartedProcess } from './container-process'
import { rfc3339 } from '../utc-time'

export type ContainerKind = 'init' | 'sidecar' | 'regular'

/** containerd's errorStartExitCode: a container that never ran */
export const START_ERROR_EXIT_CODE = 128

export class ContainerRecord {
  state: ContainerState
  lastState: ContainerState = {}
  restartCount = 0
  started = false
  ready = false
  containerID: string | undefined
  /** the runtime's imageRef and image name, once resolved (before it the status shows the image as written) */
  imageID = ''
  statusImage: string | undefined
  process: StartedProcess | undefined
  readonly backoff = new CrashLoopBackoff()
  /** the exit code `podshim run` reports for this container (a start failure maps to 125/126/127) */
  runExitCode: number | undefined
  /** a restart is scheduled (the container is in CrashLoopBackOff) */
  restartTimer: { cancel(): void } | undefined
  /** between deciding to start and the process running (image resolution) */
  isStarting = false
  /** the image's StopSignal, sent first when the container is stopped */
  stopSignal = 15
  /** why podshim killed the running instance, for its terminated message */
  killMessage: string | undefined
  /** a liveness/startup failure killed the running instance and asked for its restart (kubelet's ContainersToStart) */
  isProbeKilled = false
  /** the lastState before the current one: shown while a retired instance is still the state (a restart under way) */
  private olderLastState: ContainerState = {}
  /**
   * While postStart runs, what the status shows: kubelet's pod worker is
   * still inside startContainer, so the status is the one from before the
   * start (not Running, not started, not ready).
   */
  private shownDuringPostStart: { state: ContainerState; lastState: ContainerState } | undefined

  constructor(readonly spec: DefaultedContainer, readonly kind: ContainerKind, waitingReason: string) {
    this.state = { waiting: { reason: waitingReason } }
  }

  get name(): string {
    return this.spec.name
  }

  get isRunning(): boolean {
    return this.state.running !== undefined
  }

  waiting(reason: string, message?: string): void {
    this.state = { waiting: message === undefined ? { reason } : { reason, message } }
  }

  /**
   * A new instance runs: started at once unless a startupProbe must pass
   * first; ready once a readinessProbe says so. With a postStart hook, the
   * status keeps showing the state before the start until postStartDone().
   */
  running(process: StartedProcess, probes: { hasStartup: boolean; hasReadiness: boolean }, hasPostStart = false): void {
    this.shownDuringPostStart = hasPostStart
      ? { state: this.state, lastState: this.shownLastState }
      : undefined
    this.isProbeKilled = false
    this.process = process
    this.containerID = `podshim://${randomBytes(32).toString('hex')}`
    this.state = { running: { startedAt: rfc3339(process.startedAt) } }
    this.started = !probes.hasStartup
    this.ready = false
    this.killMessage = undefined
  }

  /** The main process ended: containerd's reason (Completed, Error, OOMKilled) and 128+signal. */
  exited(status: ExitStatus, finishedAt: Date, oomKilled: boolean, message?: string): void {
    const exitCode = status.code ?? 128 + (status.signal ?? 0)
    const reason = oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error'
    this.terminate(finishedAt, {
      // as kubelet's convertContainerStatus: the signal shows only in the exit code, 128 + signal
      exitCode, reason, finishedAt: rfc3339(finishedAt),
      ...(message !== undefined && message !== '' ? { message } : {}),
      ...(this.state.running !== undefined ? { startedAt: this.state.running.startedAt } : {}),
    })
    this.runExitCode = exitCode
  }

  /** The runtime failed before exec: containerd's StartError, exit code 128. */
  startFailed(message: string, finishedAt: Date, runExitCode: number): void {
    this.containerID ??= `podshim://${randomBytes(32).toString('hex')}`
    this.terminate(finishedAt, { exitCode: START_ERROR_EXIT_CODE, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt: rfc3339(finishedAt) })
    this.runExitCode = runExitCode
  }

  /**
   * when the last instance finished, on the clock's monotonic reading in
   * kubelet ms (scaled like the backoff it is compared with), or 0; set by
   * whoever ends the instance (the status keeps the wall time)
   */
  finishedClockMs = 0

  /** The postStart hook returned: the status shows the running instance. */
  postStartDone(): void {
    this.shownDuringPostStart = undefined
  }

  get isInPostStart(): boolean {
    return this.shownDuringPostStart !== undefined
  }

  private terminate(finishedAt: Date, terminated: NonNullable<ContainerState['terminated']>): void {
    this.shownDuringPostStart = undefined
    if (this.containerID !== undefined) terminated.containerID = this.containerID
    this.state = { terminated }
    this.process = undefined
    this.ready = false
    this.started = false
  }

  /** The terminated state becomes lastState (before a restart, or while backing off). */
  retire(): void {
    if (this.state.terminated === undefined || this.lastState === this.state) return
    this.olderLastState = this.lastState
    this.lastState = this.state
  }

  /** retired but not yet replaced (a restart under way): the terminated state is still the state, lastState the one before */
  private get shownLastState(): ContainerState {
    return this.lastState === this.state ? this.olderLastState : this.lastState
  }

  status(): ContainerStatus {
    const shown = this.shownDuringPostStart
    const s: ContainerStatus = {
      name: this.name, state: shown?.state ?? this.state, lastState: shown?.lastState ?? this.shownLastState, ready: shown ? false : this.ready,
      restartCount: this.restartCount, image: this.statusImage ?? this.spec.image, imageID: this.imageID, started: shown ? false : this.started,
    }
    const containerID = shown ? (shown.state.terminated ?? shown.lastState.terminated)?.containerID : this.containerID
    if (containerID !== undefined) s.containerID = containerID
    return s
  }
}
