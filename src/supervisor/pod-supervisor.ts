// The pod lifecycle state machine, as kubelet's pod workers drive it: set up
// the sandbox, run init containers one at a time (sidecars stay up), start
// the app containers, restart by restartPolicy with crash-loop backoff,
// notice when the pod is done, and terminate: TERM, the grace period (2 s
// minimum, as kubelet), KILL; app containers first, then sidecars in reverse
// order. Side effects go through the injected NativeApi, clock and image
// resolver.
import { readFileSync } from 'node:fs'
import type { NativeApi } from '../native/contract'
import type { ImageResolver } from '../images/resolver'
import type { DefaultedPod } from '../spec/types'
import type { PodCgroup } from '../cgroup/pod-cgroup'
import type { Clock } from './clock'
import { EventRecorder, containerFieldPath } from './events'
import { ContainerRecord } from './container-record'
import { PodSandbox, type SandboxPaths } from './pod-sandbox'
import { startContainerProcess, type ContainerOutput } from './container-process'
import { formatDuration, shouldRestart } from './backoff'
import { buildPodStatus } from './pod-status'
import type { PodStatus } from './status'
import { describeError, runExitCodeOf } from './describe-error'

/** kubelet: "always give containers a minimal shutdown window to avoid unnecessary SIGKILLs" */
export const MIN_GRACE_MS = 2000
const SIGTERM = 15
const SIGKILL = 9

export interface SupervisorDeps {
  native: NativeApi
  clock: Clock
  images: ImageResolver
  pausePath: string
  cgroup: PodCgroup
  paths: SandboxPaths
  logDir: string
  hostname: string
  fqdn: string | null
  output: ContainerOutput
  events?: EventRecorder
}

export interface PodResult {
  status: PodStatus
  /** 0 succeeded or stopped on request; else the first failed container's code */
  exitCode: number
}

export class PodSupervisor {
  readonly events: EventRecorder
  readonly sandbox: PodSandbox
  private readonly init: ContainerRecord[]
  private readonly regular: ContainerRecord[]
  private isStopping = false
  private isStopRequested = false
  private podFailed = false
  private startTime: Date | undefined
  private sandboxReady = false
  private finish!: () => void
  private readonly finished = new Promise<void>((resolve) => (this.finish = resolve))
  private readonly transitions = new Map<string, string>()

  constructor(readonly pod: DefaultedPod, private readonly deps: SupervisorDeps) {
    this.events = deps.events ?? new EventRecorder(deps.clock)
    this.sandbox = new PodSandbox(deps.native, pod, deps.paths, deps.cgroup, deps.pausePath)
    const hasInit = pod.spec.initContainers.some((c) => c.restartPolicy !== 'Always')
    this.init = pod.spec.initContainers.map((c) => new ContainerRecord(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', 'PodInitializing'))
    this.regular = pod.spec.containers.map((c) => new ContainerRecord(c, 'regular', hasInit ? 'PodInitializing' : 'ContainerCreating'))
  }

  get podRef(): string {
    return `${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`
  }

  /** Run the pod to its end (or until stop()); always tears the sandbox down. */
  async run(): Promise<PodResult> {
    this.startTime = this.deps.clock.now()
    try {
      this.sandbox.start(this.deps.hostname, this.deps.fqdn,
        (reap) => this.events.normal('Reaped', `pause reaped orphan process ${reap.pid} (${reap.signal === null ? `exit code ${reap.code}` : `signal ${reap.signal}`})`),
        (status) => {
          if (this.isStopping) return
          this.events.warning('SandboxExited', `pause exited unexpectedly (${status.signal === null ? `exit code ${status.code}` : `signal ${status.signal}`}): stopping the pod`)
          this.podFailed = true
          this.stop()
        })
      this.sandboxReady = true
      if (!this.sandbox.canSetOomScoreAdj) this.events.warning('OOMScoreAdjNotSet', 'pause keeps its inherited oom_score_adj: lowering it to -998 needs CAP_SYS_RESOURCE')
      this.runNextInit()
      await this.finished
    } catch (err) {
      const errors = await this.sandbox.teardown()
      if (errors.length > 0) this.events.warning('TeardownFailed', errors.map(describeError).join('; '))
      throw err
    }
    const errors = await this.sandbox.teardown()
    this.sandboxReady = false
    for (const err of errors) this.events.warning('TeardownFailed', describeError(err))
    return { status: this.status(true), exitCode: this.exitCode() }
  }

  /** First call: graceful termination; a second call kills at once. */
  stop(): void {
    if (this.isStopRequested) {
      for (const rec of [...this.regular, ...this.init]) rec.process?.signal(SIGKILL)
      return
    }
    this.isStopRequested = true
    void this.terminate()
  }

  status(isFinal = false): PodStatus {
    return buildPodStatus({
      pod: this.pod, init: this.init, regular: this.regular, startTime: this.startTime,
      sandboxReady: this.sandboxReady, isTerminal: isFinal && !this.isStopRequested || this.podFailed,
      transitions: this.transitions, now: this.deps.clock.now(),
    })
  }

  private runNextInit(): void {
    if (this.isStopping) return
    const next = this.init.find((r) => r.kind === 'sidecar' ? !r.started && r.restartCount === 0 && r.state.terminated === undefined : r.state.terminated?.exitCode !== 0)
    if (next === undefined) {
      for (const rec of this.regular) this.startContainer(rec)
      return
    }
    this.startContainer(next)
    if (next.kind === 'sidecar' && next.isRunning) this.runNextInit()
  }

  private async startContainer(rec: ContainerRecord): Promise<void> {
    const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
    const now = this.deps.clock.now()
    try {
      const image = await this.deps.images.resolve(rec.spec.image, rec.spec.imagePullPolicy, (m) => this.events.normal('Pulling', m, fieldPath))
      if (this.isStopping) return this.checkDone()
      rec.imageID = image.imageId
      this.events.normal('Pulled', `Container image "${rec.spec.image}" already present on machine`, fieldPath)
      this.events.normal('Created', `Created container: ${rec.name}`, fieldPath)
      const process = startContainerProcess({
        native: this.deps.native, sandbox: this.sandbox, container: rec.spec, image, hostname: this.deps.hostname,
        logDir: `${this.deps.logDir}/${rec.name}`, restartCount: rec.restartCount, output: this.deps.output,
      })
      rec.running(process)
      this.events.normal('Started', `Started container ${rec.name}`, fieldPath)
      void process.exited.then((status) => {
        const isOom = this.sandbox.cgroup.oomKilled(rec.name)
        rec.exited(status, this.deps.clock.now(), isOom, readTerminationMessage(process.terminationLog))
        this.onExit(rec)
      })
    } catch (err) {
      const message = describeError(err)
      rec.startFailed(message, now, runExitCodeOf(err))
      this.events.warning('Failed', `Error: ${message}`, fieldPath)
      this.onExit(rec)
    }
  }

  private onExit(rec: ContainerRecord): void {
    if (this.isStopping) {
      this.checkDone()
      return
    }
    const code = rec.state.terminated?.exitCode ?? 0
    const policy = this.pod.spec.restartPolicy
    if (rec.kind === 'sidecar') this.scheduleRestart(rec)
    else if (rec.kind === 'init') {
      if (code === 0) this.runNextInit()
      else if (policy === 'Never') {
        this.podFailed = true
        void this.terminate()
      } else this.scheduleRestart(rec)
    } else if (shouldRestart(policy, code)) this.scheduleRestart(rec)
    this.checkDone()
  }

  private scheduleRestart(rec: ContainerRecord): void {
    const finished = Date.parse(rec.state.terminated?.finishedAt ?? '') || this.deps.clock.now().getTime()
    const wait = rec.backoff.waitMs(this.deps.clock.now().getTime(), finished)
    const restart = (): void => {
      rec.restartTimer = undefined
      if (this.isStopping) return this.checkDone()
      rec.retire()
      rec.backoff.next(this.deps.clock.now().getTime())
      this.startContainer(rec)
      if (rec.kind === 'sidecar' && rec.isRunning && this.regular.every((r) => r.state.waiting?.reason === 'PodInitializing')) this.runNextInit()
    }
    if (wait === 0) return restart()
    const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
    rec.waiting('CrashLoopBackOff', `back-off ${formatDuration(rec.backoff.currentMs)} restarting failed container=${rec.name} pod=${this.podRef}`)
    // keep the terminated state visible as lastState while backing off, as kubelet does
    this.events.warning('BackOff', `Back-off restarting failed container ${rec.name} in pod ${this.podRef}`, fieldPath)
    rec.restartTimer = this.deps.clock.after(wait, restart)
  }

  /** The pod is done when no app container runs or will restart (Never/OnFailure pods). */
  private checkDone(): void {
    const isActive = (r: ContainerRecord): boolean => r.isRunning || r.restartTimer !== undefined || r.state.waiting !== undefined
    if (this.isStopping) {
      if (![...this.regular, ...this.init].some((r) => r.isRunning)) this.finish()
      return
    }
    if (this.regular.length > 0 && !this.regular.some(isActive)) void this.terminate()
  }

  /** TERM app containers, then sidecars in reverse order; KILL whatever outlives the grace period. */
  private async terminate(): Promise<void> {
    if (this.isStopping) return
    this.isStopping = true
    const clock = this.deps.clock
    for (const rec of [...this.regular, ...this.init]) {
      rec.restartTimer?.cancel()
      rec.restartTimer = undefined
    }
    const graceMs = Math.max(this.pod.spec.terminationGracePeriodSeconds * 1000, MIN_GRACE_MS)
    let isDeadline = false
    const deadline = clock.after(graceMs, () => {
      isDeadline = true
      for (const rec of [...this.regular, ...this.init]) rec.process?.signal(SIGKILL)
    })
    const stopOne = async (rec: ContainerRecord): Promise<void> => {
      const process = rec.process
      if (process === undefined || !rec.isRunning) return
      this.events.normal('Killing', `Stopping container ${rec.name}`, containerFieldPath(rec.name, rec.kind !== 'regular'))
      process.signal(isDeadline ? SIGKILL : SIGTERM)
      await process.exited
    }
    await Promise.all(this.regular.map(stopOne))
    for (const rec of [...this.init].reverse()) await stopOne(rec)
    deadline.cancel()
    // exits resolve through process.exited → onExit → checkDone → finish
    await Promise.all([...this.regular, ...this.init].map((r) => r.process?.exited))
    this.finish()
  }

  private exitCode(): number {
    const phase = this.status(true).phase
    if (phase === 'Succeeded' || (this.isStopRequested && !this.podFailed)) return 0
    const failed = [...this.init, ...this.regular].find((r) => r.state.terminated !== undefined && r.state.terminated.exitCode !== 0)
    return failed?.runExitCode ?? 1
  }
}

function readTerminationMessage(path: string): string | undefined {
  try {
    // kubelet reads at most 4096 bytes of the termination message
    return readFileSync(path, 'utf8').slice(0, 4096)
  } catch {
    return undefined
  }
}
