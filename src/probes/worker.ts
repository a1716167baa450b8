// kubelet's prober worker (pkg/kubelet/prober/worker.go), one per container
// and probe type: the initial result, the start-up jitter, the period
// ticker, initialDelaySeconds, startup gating, thresholds over identical
// consecutive results, hold after a liveness failure or a final startup
// result until a new container instance, discarded probe errors, and the
// quiet shutdown of liveness/startup while the pod terminates. Pure logic on
// the injected Clock: it reads the container's state through observe() (as
// kubelet reads its status manager) and runs the handler through run().
import type { Clock, TimerHandle } from '../supervisor/clock'
import type { DefaultedProbe } from '../spec/types'
import type { HandlerResult } from './http-get'

export type ProbeType = 'liveness' | 'readiness' | 'startup'
/** kubelet's results.Result */
export type ProbeResult = 'success' | 'failure' | 'unknown'

/** What the worker needs to know about the pod and the container's current instance. */
export interface ProbeTargetView {
  /** the pod reached Succeeded or Failed: the worker ends */
  isPodFinished: boolean
  /** the pod is being deleted (kubelet's DeletionTimestamp) */
  isTerminating: boolean
  /** the current container instance, or null before the first one was created */
  container: {
    /** changes with every new instance (restart) */
    id: string
    /** when the instance started running; null while it is not running */
    runningSince: Date | null
    isTerminated: boolean
    /** containerStatus.started */
    isStarted: boolean
    /** a terminated container will be started again (restart policy, sidecar) */
    willRestart: boolean
  } | null
}

export interface ProbeWorkerOptions {
  type: ProbeType
  probe: DefaultedProbe
  clock: Clock
  /** when the supervisor started, on clock.now(): the jitter applies within one period of it */
  supervisorStartedAt: Date
  /** [0, 1); default Math.random */
  random?: () => number
  observe(): ProbeTargetView
  /** run the probe's handler once with this timeout (kubelet ms) */
  run(timeoutMs: number): Promise<HandlerResult>
  /** the cached result of the container instance changed (kubelet's results manager update) */
  onResult(type: ProbeType, result: ProbeResult, containerId: string): void
  /** an `Unhealthy` Warning event */
  onUnhealthy(message: string): void
  /** a `ProbeWarning` Warning event */
  onWarning(message: string): void
}

const INITIAL_RESULT: Record<ProbeType, ProbeResult> = { liveness: 'success', readiness: 'failure', startup: 'unknown' }
const TYPE_NAME: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' }
/** kubelet's maxProbeRetries: a probe that errors is tried again at once, this many times in all */
const MAX_PROBE_ATTEMPTS = 3

export class ProbeWorker {
  private containerId: string | undefined
  private cached: ProbeResult | undefined
  private lastResult: ProbeResult = 'unknown'
  private resultRun = 0
  private isOnHold = false
  private isStopped = false
  private isProbing = false
  private hasPendingRun = false
  private timer: TimerHandle | undefined
  private readonly periodMs: number

  constructor(private readonly options: ProbeWorkerOptions) {
    this.periodMs = options.probe.periodSeconds * 1000
  }

  /** The cached result for the current container instance (undefined before the first instance). */
  get result(): ProbeResult | undefined {
    return this.cached
  }

  get isRunning(): boolean {
    return !this.isStopped
  }

  start(): void {
    const { clock, supervisorStartedAt } = this.options
    const sinceStart = this.kubeElapsedMs(supervisorStartedAt)
    // as kubelet after a restart: spread the first probes over one period
    const delay = this.periodMs > sinceStart ? (this.options.random ?? Math.random)() * this.periodMs : 0
    this.timer = clock.after(delay, () => {
      this.armTicker()
      this.runProbe()
    })
  }

  stop(): void {
    this.isStopped = true
    this.timer?.cancel()
  }

  /** kubelet's manualTriggerCh: probe now (e.g. readiness after a status change) without moving the ticker */
  trigger(): void {
    if (this.timer === undefined || this.isStopped) return
    this.runProbe()
  }

  private armTicker(): void {
    this.timer = this.options.clock.after(this.periodMs, () => {
      this.armTicker()
      this.runProbe()
    })
  }

  /** kubelet durations since a wall-clock instant (the clock's scale applies to waits, not to now()) */
  private kubeElapsedMs(since: Date): number {
    return (this.options.clock.now().getTime() - since.getTime()) * this.options.clock.scale
  }

  private runProbe(): void {
    if (this.isStopped) return
    if (this.isProbing) {
      // Go's ticker channel holds one tick: a probe slower than the period runs again right after
      this.hasPendingRun = true
      return
    }
    this.isProbing = true
    void this.doProbe().then((keepGoing) => {
      this.isProbing = false
      if (!keepGoing) this.stop()
      if (this.hasPendingRun && !this.isStopped) {
        this.hasPendingRun = false
        this.runProbe()
      }
    })
  }

  private setResult(result: ProbeResult): void {
    if (this.cached === result || this.containerId === undefined) return
    this.cached = result
    this.options.onResult(this.options.type, result, this.containerId)
  }

  private async doProbe(): Promise<boolean> {
    const { type, probe } = this.options
    const view = this.options.observe()
    if (view.isPodFinished) return false
    const c = view.container
    if (c === null) return true
    if (c.id !== this.containerId) {
      this.containerId = c.id
      this.cached = undefined
      this.setResult(INITIAL_RESULT[type])
      this.isOnHold = false
    }
    if (this.isOnHold) return true
    if (c.runningSince === null) {
      this.setResult('failure')
      return !c.isTerminated || c.willRestart
    }
    if (view.isTerminating && type !== 'readiness') {
      // a last result for a quiet shutdown
      this.setResult('success')
      return false
    }
    if (Math.trunc(this.kubeElapsedMs(c.runningSince) / 1000) < probe.initialDelaySeconds) return true
    // only the startup probe runs until the container has started, and never after
    if (c.isStarted === (type === 'startup')) return true

    const containerId = c.id
    let outcome: HandlerResult = { result: 'error', message: '' }
    for (let attempt = 0; attempt < MAX_PROBE_ATTEMPTS && outcome.result === 'error'; attempt++) {
      outcome = await this.options.run(probe.timeoutSeconds * 1000)
    }
    if (this.isStopped || containerId !== this.containerId) return !this.isStopped
    const name = TYPE_NAME[type]
    if (outcome.result === 'error') {
      this.options.onUnhealthy(`${name} probe errored and resulted in unknown state: ${outcome.message}`)
      // a prober error: the result is thrown away
      return true
    }
    if (outcome.result === 'warning') this.options.onWarning(`${name} probe warning: ${outcome.message}`)
    if (outcome.result === 'failure') this.options.onUnhealthy(`${name} probe failed: ${outcome.message}`)
    const result: ProbeResult = outcome.result === 'failure' ? 'failure' : 'success'

    if (this.lastResult === result) {
      this.resultRun++
    } else {
      this.lastResult = result
      this.resultRun = 1
    }
    if ((result === 'failure' && this.resultRun < probe.failureThreshold) || (result === 'success' && this.resultRun < probe.successThreshold)) {
      return true
    }
    this.setResult(result)
    if ((type === 'liveness' && result === 'failure') || type === 'startup') {
      // the container will be restarted: no more probes (and no exec into a dying container) until a new instance
      this.isOnHold = true
      this.resultRun = 0
    }
    return true
  }
}
