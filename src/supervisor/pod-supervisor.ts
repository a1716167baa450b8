// The pod lifecycle state machine, as kubelet's pod worker drives it: set up
// the sandbox, run init containers one at a time (a sidecar counts as done
// once started and past its startupProbe), start the app containers one
// at a time as kubelet's SyncPod does (each start, container-launch.ts,
// includes its postStart hook, until which the container does not count as
// running), fail the pod at its activeDeadlineSeconds, act on probe
// results, restart by restartPolicy with crash-loop backoff, notice when the
// pod is done, and terminate (app containers in parallel, sidecars after
// them in reverse order, each by kubelet's killContainer). Every side
// effect goes through the injected runtime, image resolver, lifecycle agent
// and clock, so the logic runs the same under a FakeClock in unit tests.
import type { ImageResolver, ResolvedImage } from '../images/resolver'
import type { DefaultedPod } from '../spec/types'
import type { Clock } from './clock'
import { EventRecorder, containerFieldPath } from './events'
import { ContainerRecord } from './container-record'
import type { PodRuntime } from './pod-runtime'
import { shouldRestart } from './backoff'
import { isRestartAsked, scheduleRestart } from './crash-loop'
import { buildPodStatus, firstHostAddress, runExitCode } from './pod-status'
import type { PodStatus } from './status'
import { describeError, howEnded } from './describe-error'
import { recordStartFailure } from './start-failure'
import { killContainer, SIGKILL, unhealthyKillMessage } from './kill-container'
import { NO_LIFECYCLE, type LifecycleAgent } from './lifecycle-agent'
import { launchInstance, runPostStart, type LaunchContext } from './container-launch'
import { armActiveDeadline, DEADLINE_EXCEEDED } from './active-deadline'

export interface SupervisorDeps {
  runtime: PodRuntime
  clock: Clock
  images: ImageResolver
  events?: EventRecorder
  lifecycle?: LifecycleAgent
}

export interface PodResult {
  status: PodStatus
  /** 0 succeeded or stopped on request; else the first failed container's code */
  exitCode: number
}

export class PodSupervisor {
  readonly events: EventRecorder
  readonly init: ContainerRecord[]
  readonly regular: ContainerRecord[]
  private readonly lifecycle: LifecycleAgent
  private isStopping = false
  private isStopRequested = false
  /** the stop asked for ended the pod (it came before any ending was under way): run exits 0 */
  private isStoppedByUser = false
  /** a second stop: kill, and stop waiting for images still being pulled */
  private isKillRequested = false
  /** the grace period of a stop has passed: images still being pulled are not waited for */
  private isPullWaitOver = false
  private readonly images = new Map<string, ResolvedImage>()
  private readonly launchContext: LaunchContext
  private podFailed = false
  /** the pod was failed as a whole (its deadline): the status's reason and message */
  private failure: { reason: string; message: string } | undefined
  private startTime: Date | undefined
  private sandboxReady = false
  private finish!: () => void
  private readonly finished = new Promise<void>((resolve) => (this.finish = resolve))
  private readonly transitions = new Map<string, string>()
  /** the app containers' first starts are under way or done (later starts are restarts) */
  private isAppStartBegun = false

  constructor(readonly pod: DefaultedPod, private readonly deps: SupervisorDeps) {
    this.events = deps.events ?? new EventRecorder(deps.clock)
    this.lifecycle = deps.lifecycle ?? NO_LIFECYCLE
    this.launchContext = {
      runtime: deps.runtime, images: deps.images, clock: deps.clock, events: this.events, lifecycle: this.lifecycle,
      held: this.images, oomScoreAdjWarned: new Set(), isStopping: () => this.isStopping, onExit: (rec) => this.onExit(rec),
      killForHook: (rec) => this.kill(rec, this.pod.spec.terminationGracePeriodSeconds * 1000, 'FailedPostStartHook'),
    }
    const hasInit = pod.spec.initContainers.length > 0
    this.init = pod.spec.initContainers.map((c) => new ContainerRecord(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', 'PodInitializing'))
    this.regular = pod.spec.containers.map((c) => new ContainerRecord(c, 'regular', hasInit ? 'PodInitializing' : 'ContainerCreating'))
    for (const rec of [...this.init, ...this.regular]) rec.restartCount = deps.runtime.restartCountFromLogs?.(rec.name) ?? 0
    // a container's start, kill or backoff comes with an event; exits, readiness and the sandbox are noted where they happen
    this.events.onEvent(() => this.noteTransitions())
  }

  get podRef(): string {
    return `${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`
  }

  private get all(): ContainerRecord[] {
    return [...this.init, ...this.regular]
  }

  /** Run the pod to its end (or until stop()); always tears the sandbox down. */
  async run(): Promise<PodResult> {
    this.startTime = this.deps.clock.now()
    const deadline = armActiveDeadline(this.pod.spec.activeDeadlineSeconds, this.deps.clock, () => this.exceedDeadline())
    try {
      this.deps.runtime.start(
        (reap) => this.events.normal('Reaped', `pause reaped orphan process ${reap.pid} (${howEnded(reap)})`),
        (status) => {
          if (this.isStopping) return
          this.events.warning('SandboxExited', `pause exited unexpectedly (${howEnded(status)}): stopping the pod`)
          this.podFailed = true
          void this.terminate()
        })
      this.sandboxReady = true
      this.noteTransitions()
      if (!this.deps.runtime.canSetOomScoreAdj) this.events.warning('OOMScoreAdjNotSet', 'pause keeps its inherited oom_score_adj: lowering it to -998 needs CAP_SYS_RESOURCE')
      for (const { reason, message } of this.deps.runtime.sandboxWarnings) this.events.warning(reason, message)
      this.runNextInit()
      await this.finished
    } finally {
      deadline?.cancel()
      await this.lifecycle.close()
      const errors = await this.deps.runtime.teardown()
      for (const image of this.images.values()) this.deps.images.release?.(image)
      this.sandboxReady = false
      for (const err of errors) this.events.warning('TeardownFailed', describeError(err))
    }
    const status = this.status(true)
    const isCleanStop = this.isStoppedByUser && !this.podFailed
    return { status, exitCode: runExitCode(status, isCleanStop, this.all) }
  }

  /** First call: graceful termination; a second call kills at once. */
  stop(): void {
    if (this.isStopRequested) {
      this.isKillRequested = true
      for (const rec of this.all) rec.process?.signal(SIGKILL)
      this.checkDone()
      return
    }
    this.isStopRequested = true
    if (!this.isStopping) this.isStoppedByUser = true
    void this.terminate()
  }

  status(isFinal = false): PodStatus {
    return buildPodStatus({
      pod: this.pod, init: this.init, regular: this.regular, startTime: this.startTime, failure: this.failure,
      sandboxReady: this.sandboxReady, isTerminal: isFinal || this.podFailed,
      transitions: this.transitions, now: this.deps.clock.now(),
      hostIP: firstHostAddress(),
    })
  }

  /** Builds the status, for its side effect: each condition's lastTransitionTime is when it changed, not when asked. */
  private noteTransitions(): void {
    this.status()
  }

  /** activeDeadlineSeconds passed: the pod fails and stops, as kubelet evicts it. */
  private exceedDeadline(): void {
    if (this.isStopping) return
    this.events.normal(DEADLINE_EXCEEDED.reason, DEADLINE_EXCEEDED.message)
    this.failure = DEADLINE_EXCEEDED
    this.podFailed = true
    void this.terminate()
  }

  /** Start the next init container whose turn it is, or the app containers once all are done. */
  private runNextInit(): void {
    if (this.isStopping) return
    for (const rec of this.init) {
      if (rec.kind === 'init' && rec.state.terminated?.exitCode === 0) continue
      if (rec.kind === 'sidecar' && rec.started) continue
      if (rec.isRunning || rec.restartTimer !== undefined || rec.isStarting) return
      void this.startContainer(rec)
      return
    }
    if (this.isAppStartBegun) return
    this.isAppStartBegun = true
    for (const rec of this.regular) if (rec.state.waiting?.reason === 'PodInitializing') rec.waiting('ContainerCreating')
    void this.startAppContainers()
  }

  /** As kubelet's SyncPod: one after the other in spec order, each start (image, create, start, postStart) done before the next. */
  private async startAppContainers(): Promise<void> {
    for (const rec of this.regular) {
      if (this.isStopping) return
      await this.startContainer(rec)
    }
  }

  private async startContainer(rec: ContainerRecord): Promise<void> {
    rec.isStarting = true
    try {
      const launched = await launchInstance(rec, this.launchContext)
      if (launched === undefined) return
      const { process, instanceExited } = launched
      const hasPostStart = rec.spec.lifecycle?.postStart !== undefined
      if (hasPostStart) await runPostStart(rec, process, instanceExited, this.launchContext)
      // as kubelet: the status shows the container running, and its probes run, once startContainer returned
      if (!rec.isRunning || rec.process !== process) return
      this.noteTransitions()
      this.lifecycle.containerStarted(rec, {
        onStarted: () => this.onStarted(rec),
        onReady: (isReady) => {
          rec.ready = isReady && rec.isRunning && !this.isStopping
          this.noteTransitions()
        },
        onUnhealthy: (probe, graceMs) => void this.restartUnhealthy(rec, probe, graceMs),
      })
      if (rec.started) this.onStarted(rec)
    } catch (err) {
      rec.isStarting = false
      recordStartFailure(rec, err, this.deps.clock, this.events)
      this.onExit(rec)
    } finally {
      rec.isStarting = false
      // a stop that came while this start was pulling its image waits for it
      if (this.isStopping) this.checkDone()
    }
  }

  /** The container counts as started (no startupProbe, or it succeeded): a sidecar lets the next init container go. */
  private onStarted(rec: ContainerRecord): void {
    rec.started = true
    if (rec.kind !== 'init' && !this.isStopping && !this.lifecycle.probesOf(rec.spec).hasReadiness) rec.ready = true
    this.noteTransitions()
    if (rec.kind === 'sidecar') this.runNextInit()
  }

  private async restartUnhealthy(rec: ContainerRecord, probe: 'liveness' | 'startup', graceMs: number): Promise<void> {
    if (!rec.isRunning || this.isStopping) return
    rec.killMessage = undefined
    const policy = this.pod.spec.restartPolicy
    rec.isProbeKilled = rec.kind === 'regular' && policy !== 'Never'
    await this.kill(rec, graceMs, unhealthyKillMessage(rec, probe, policy))
  }

  private kill(rec: ContainerRecord, graceMs: number, message: string, waitForTurn?: () => Promise<void>): Promise<void> {
    const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
    if (rec.isRunning) this.events.normal('Killing', message, fieldPath)
    const preStop = this.lifecycle.preStopFor(rec)
    return killContainer(rec, this.deps.clock, {
      graceMs, stopSignal: rec.stopSignal, waitForTurn,
      ...(preStop !== undefined ? { preStop } : {}),
      // as kubelet: without the hook's message, which may hold secrets
      onPreStopFailed: () => this.events.warning('FailedPreStopHook', 'PreStopHook failed', fieldPath),
    })
  }

  private onExit(rec: ContainerRecord): void {
    this.noteTransitions()
    if (this.isStopping) return this.checkDone()
    // killed because pause is dying: no restart into its PID namespace; its own exit, next, stops the pod
    if (this.deps.runtime.isSandboxExiting()) return
    const code = rec.state.terminated?.exitCode ?? 1
    const policy = this.pod.spec.restartPolicy
    if (rec.kind === 'sidecar') this.scheduleRestart(rec)
    else if (rec.kind === 'init') {
      if (rec.state.terminated?.exitCode === 0) {
        rec.ready = true
        this.runNextInit()
      } else if (policy === 'Never') {
        this.podFailed = true
        void this.terminate()
      } else this.scheduleRestart(rec)
    } else if (rec.state.waiting !== undefined || shouldRestart(policy, code) || isRestartAsked(rec, this.deps.clock)) this.scheduleRestart(rec)
    this.checkDone()
  }

  private scheduleRestart(rec: ContainerRecord): void {
    scheduleRestart(rec, {
      clock: this.deps.clock, events: this.events, podRef: this.podRef,
      mayStart: () => {
        if (this.isStopping) this.checkDone()
        return !this.isStopping
      },
      start: (r) => void this.startContainer(r),
    })
  }

  /** The pod is done when no app container runs or will run again (Never/OnFailure pods). */
  private checkDone(): void {
    if (this.isStopping) {
      // after a kill or the grace period, a start still pulling its image is not waited for (it spawns nothing once it returns)
      if (!this.all.some((r) => r.isRunning || (r.isStarting && !this.isKillRequested && !this.isPullWaitOver))) this.finish()
      return
    }
    const isActive = (r: ContainerRecord): boolean => r.isRunning || r.isStarting || r.restartTimer !== undefined || r.state.waiting !== undefined
    if (!this.regular.some(isActive)) void this.terminate()
  }

  /** App containers in parallel; each sidecar after every app container and every later sidecar is gone. */
  private async terminate(): Promise<void> {
    if (this.isStopping) return
    this.isStopping = true
    for (const rec of this.all) {
      rec.restartTimer?.cancel()
      rec.restartTimer = undefined
      // a completed init container stays ready (kubelet: terminated with exit code 0)
      if (rec.kind !== 'init') rec.ready = false
      this.lifecycle.podTerminating(rec)
    }
    const graceMs = this.pod.spec.terminationGracePeriodSeconds * 1000
    // a start still pulling its image is waited for at most the grace period (kubelet cancels the pull outright)
    const pullWait = this.deps.clock.after(graceMs, () => {
      this.isPullWaitOver = true
      this.checkDone()
    })
    void this.finished.then(() => pullWait.cancel())
    const gone = (recs: ContainerRecord[]): Promise<unknown> => Promise.all(recs.map((r) => r.process?.exited))
    const sidecars = this.init.filter((r) => r.kind === 'sidecar')
    await Promise.all([
      ...this.all.filter((r) => r.kind !== 'sidecar').map((r) => this.kill(r, graceMs, `Stopping container ${r.name}`)),
      ...sidecars.map((r, i) => this.kill(r, graceMs, `Stopping container ${r.name}`, () => Promise.all([gone(this.regular), gone(sidecars.slice(i + 1))]).then(() => undefined))),
    ])
    await gone(this.all)
    this.checkDone()
  }
}
