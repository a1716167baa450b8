// The real LifecycleAgent: one kubelet-style probe worker per container
// instance and probe type, hooks run by the shared handlers, network probes
// and HTTP hooks through the pod's prober process (which lives in the pod's
// network namespace, started on first use), exec probes and hooks inside
// the container. Worker
// outcomes become kubelet's events and the supervisor's callbacks.
import { closeSync, openSync } from 'node:fs'
import type { NativeApi } from '../native/contract'
import type { DefaultedContainer, DefaultedProbe } from '../spec/types'
import { execInContainer } from '../probes/exec-in-container'
import { runHandler, type HandlerContext } from '../probes/handlers'
import { startProber, type Prober } from '../probes/prober-client'
import { ProbeWorker, type ProbeType } from '../probes/worker'
import type { Clock } from './clock'
import type { ContainerRecord } from './container-record'
import type { StartedProcess } from './container-process'
import { containerFieldPath, type EventRecorder } from './events'
import type { LifecycleAgent, ProbeCallbacks } from './lifecycle-agent'
import type { PodSandbox } from './pod-sandbox'
import { readProcStat } from '../proc-stat'

function probeOf(c: DefaultedContainer, type: ProbeType): DefaultedProbe | undefined {
  return type === 'liveness' ? c.livenessProbe : type === 'readiness' ? c.readinessProbe : c.startupProbe
}

export class ProbeAgent implements LifecycleAgent {
  private readonly workers = new Map<ContainerRecord, ProbeWorker[]>()
  /** each container's handler context, made for its current instance (a restart's process gets a new one) */
  private readonly contexts = new Map<ContainerRecord, { process: StartedProcess; ctx: HandlerContext }>()
  private readonly terminating = new Set<ContainerRecord>()
  private prober: Prober | undefined
  private netnsFd = -1
  private readonly startedAt: Date

  constructor(
    private readonly native: NativeApi,
    private readonly clock: Clock,
    private readonly sandbox: PodSandbox,
    private readonly events: EventRecorder,
    private readonly podLabel: string,
  ) {
    this.startedAt = clock.now()
  }

  probesOf(c: DefaultedContainer): { hasStartup: boolean; hasReadiness: boolean } {
    return { hasStartup: c.startupProbe !== undefined, hasReadiness: c.readinessProbe !== undefined }
  }

  private getProber(): Prober {
    if (this.prober === undefined) {
      this.netnsFd = openSync(`/proc/${this.sandbox.pausePid}/ns/net`, 'r')
      this.prober = startProber(this.native, this.netnsFd, { clock: this.clock })
    }
    return this.prober
  }

  /** The context of the container's current instance: exec hooks and probes enter that process's namespaces. */
  private context(rec: ContainerRecord): HandlerContext {
    const process = rec.process!
    const known = this.contexts.get(rec)
    if (known !== undefined && known.process === process) return known.ctx
    const ctx: HandlerContext = {
      clock: this.clock, containerName: rec.name, podLabel: this.podLabel, ports: rec.spec.ports, env: rec.spec.env,
      exec: async (argv, timeoutMs) => {
        const cgroupFd = this.sandbox.cgroup.openLeaf(rec.name)
        try {
          const { env: envp, ids, capabilities, workingDir, oomScoreAdj } = process.spec
          return await execInContainer(this.native, this.clock, { pid: process.pid, cgroupFd, envp, ids, capabilities, workingDir, oomScoreAdj }, argv, timeoutMs)
        } finally {
          closeSync(cgroupFd)
        }
      },
      prober: () => this.getProber(),
    }
    this.contexts.set(rec, { process, ctx })
    return ctx
  }

  containerStarted(rec: ContainerRecord, callbacks: ProbeCallbacks): void {
    const ctx = this.context(rec)
    const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
    const instance = rec.containerID
    const workers: ProbeWorker[] = []
    let readiness: ProbeWorker | undefined
    for (const type of ['startup', 'liveness', 'readiness'] as ProbeType[]) {
      const probe = probeOf(rec.spec, type)
      if (probe === undefined) continue
      const graceMs = (probe.terminationGracePeriodSeconds ?? this.sandbox.pod.spec.terminationGracePeriodSeconds) * 1000
      const worker = new ProbeWorker({
        type, probe, clock: this.clock, supervisorStartedAt: this.startedAt,
        observe: () => ({
          isPodFinished: false,
          isTerminating: this.terminating.has(rec),
          container: rec.containerID === instance ? {
            id: instance ?? '', runningSince: rec.isRunning ? new Date(rec.process!.startedAt) : null,
            isTerminated: !rec.isRunning, isStarted: rec.started, willRestart: true,
          } : null,
        }),
        run: (timeoutMs) => runHandler(probe, ctx, 'probe', timeoutMs),
        onResult: (_type, result) => {
          if (rec.containerID !== instance || !rec.isRunning) return
          if (type === 'readiness') callbacks.onReady(result === 'success')
          else if (type === 'startup' && result === 'success') {
            callbacks.onStarted()
            // kubelet's UpdatePodStatus triggers only readiness at once; liveness waits for its own tick
            readiness?.trigger()
          } else if (result === 'failure') {
            callbacks.onUnhealthy(type, graceMs)
          }
        },
        onUnhealthy: (message) => {
          // a probe that raced its container's death (it died, its exit not yet handled) says nothing about the app
          if (rec.containerID === instance && isProcessRunning(rec.process?.pid)) this.events.warning('Unhealthy', message, fieldPath)
        },
        onWarning: (message) => this.events.warning('ProbeWarning', message, fieldPath),
      })
      workers.push(worker)
      if (type === 'readiness') readiness = worker
    }
    this.workers.set(rec, workers)
    for (const w of workers) w.start()
  }

  async postStart(rec: ContainerRecord): Promise<string | undefined> {
    const hook = rec.spec.lifecycle?.postStart
    if (hook === undefined || rec.process === undefined) return undefined
    const outcome = await runHandler(hook, this.context(rec), 'hook', Infinity)
    if (outcome.result === 'warning') this.events.warning('LifecycleHTTPFallback', outcome.message, containerFieldPath(rec.name, rec.kind !== 'regular'))
    return outcome.result === 'failure' || outcome.result === 'error' ? outcome.message : undefined
  }

  preStopFor(rec: ContainerRecord): (() => Promise<string | undefined>) | undefined {
    const hook = rec.spec.lifecycle?.preStop
    if (hook === undefined || rec.process === undefined) return undefined
    const ctx = this.context(rec)
    return async () => {
      const outcome = await runHandler(hook, ctx, 'hook', Infinity)
      return outcome.result === 'failure' || outcome.result === 'error' ? outcome.message : undefined
    }
  }

  podTerminating(rec: ContainerRecord): void {
    this.terminating.add(rec)
  }

  containerStopped(rec: ContainerRecord): void {
    for (const w of this.workers.get(rec) ?? []) w.stop()
    this.workers.delete(rec)
  }

  async close(): Promise<void> {
    for (const workers of this.workers.values()) for (const w of workers) w.stop()
    this.workers.clear()
    await this.prober?.close()
    this.prober = undefined
    if (this.netnsFd >= 0) closeSync(this.netnsFd)
    this.netnsFd = -1
  }
}

/** Whether pid is a live process (not gone, not a zombie waiting to be reaped). */
function isProcessRunning(pid: number | undefined): boolean {
  const state = pid === undefined ? undefined : readProcStat(pid)?.state
  return state !== undefined && state !== 'Z' && state !== 'X'
}
