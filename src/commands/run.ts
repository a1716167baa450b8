// `podshim run FILE`: load and validate a Pod manifest, run it to its end in
// a sandbox of its own, and report its final status. Ctrl-C (or TERM) stops
// the pod gracefully; a second Ctrl-C kills it at once.
import { join } from 'node:path'
import { nativeApi, PAUSE_PATH } from '../native/addon'
import { loadPodFrom } from '../spec'
import type { DefaultedPod } from '../spec/types'
import type { PodConfigObjects } from '../spec/config-objects'
import type { CredentialSource } from '../images/registry-credentials'
import { kernelHostname, podFqdn } from '../spec/hostname'
import { formatProblem } from '../spec/manifest-error'
import { admissionFailure, rejectedStatus } from './admission'
import type { PodCgroup } from '../cgroup/pod-cgroup'
import { describeUnenforced } from '../cgroup/delegation'
import { DefaultImageResolver } from '../images/default-resolver'
import { PullProgress } from '../images/pull-progress'
import { NO_LIFECYCLE } from '../supervisor/lifecycle-agent'
import { podLogDir } from '../logs/cri-log'
import { compressionsDone } from '../logs/log-rotation'
import { Terminal } from '../logs/terminal'
import { systemClock, type Clock } from '../supervisor/clock'
import { EventRecorder, type PodEvent } from '../supervisor/events'
import { PodSupervisor } from '../supervisor/pod-supervisor'
import { PodSandbox, type SandboxPaths } from '../supervisor/pod-sandbox'
import { SandboxRuntime } from '../supervisor/pod-runtime'
import { cleanStalePods } from '../supervisor/stale-pods'
import { setupPodCgroup } from './pod-cgroup-setup'
import { claimPodState } from './pod-record'
import { findCgroup2Mount } from '../cgroup/mount'
import { podshimParentLevels } from '../cgroup/cgroup-levels'
import { formatSummary } from './summary'
import { randomPodUid } from './random-pod-uid'
import { checkRunOptions } from './check-run-options'
import { readManifests } from './read-manifests'
import { withKubeletAnnotations } from '../supervisor/kubelet-annotations'
import { removePodStateDir } from '../supervisor/pod-state-dir'
import { describeError } from '../supervisor/describe-error'
import { timeOfDay, wallClockNs } from '../utc-time'
import { MIN_GRACE_MS } from '../supervisor/kill-container'
import { hostname as hostHostname } from 'node:os'

export interface RunOptions {
  stateRoot: string
  logRoot: string
  dataRoot: string
  cgroupParent: string
  strictCgroups: boolean
  pidsLimit: number
  timeScale: number
  output: 'text' | 'json'
  quiet: boolean
  insecureRegistries: string[]
  registryConfig: string | null
  /** kubelet's --allowed-unsafe-sysctls */
  allowedUnsafeSysctls: string[]
  /** the environment variable each option came from, where one did (errors name it) */
  fromEnv?: Partial<Record<keyof RunOptions, string>>
}

/** Signals that stop the pod gracefully (a second one kills it). */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export async function runCommand(files: readonly string[], opts: RunOptions): Promise<number> {
  // namespaces, cgroups and mounts are root's: said before any of them fails on its own
  if (process.geteuid?.() !== 0) throw new Error('podshim run needs root (it makes namespaces, cgroups and mounts): run it with sudo')
  // usage errors first, as commander's: nothing is read or made for options that cannot serve
  checkRunOptions(opts)
  const loaded = loadPodFrom(readManifests(files), { newUid: randomPodUid })
  const { objects, warnings } = loaded
  const pod = withKubeletAnnotations(loaded.pod, wallClockNs())
  const isJson = opts.output === 'json'
  for (const w of warnings) process.stderr.write(`podshim: warning: ${formatProblem(w)}\n`)
  const rejection = admissionFailure(pod, opts.allowedUnsafeSysctls)
  if (rejection !== null) {
    process.stderr.write(`podshim: pod "${pod.metadata.name}" rejected (${rejection.reason}): ${rejection.detail}\n`)
    if (isJson) await writeOut(JSON.stringify(rejectedStatus(pod, rejection), null, 2) + '\n')
    return 1
  }
  const terminal = new Terminal(isJson ? process.stderr : process.stdout, process.stderr, opts.quiet)

  const stale = await cleanStalePods(opts.stateRoot)
  for (const note of stale.cleaned) terminal.notice(`podshim: ${note}`)
  for (const w of stale.warnings) process.stderr.write(`podshim: warning: ${w}\n`)
  const clock = systemClock(opts.timeScale)
  const events = new EventRecorder(clock)
  events.onEvent((e) => terminal.notice(formatEvent(e)))

  // signals before the supervisor exists are held, so setup is never cut short with things left behind
  let supervisor: PodSupervisor | undefined
  let signals = 0
  const { uid, name } = pod.metadata
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    terminal.notice(signals === 1
      ? `podshim: ${signal}: stopping pod "${name}" (grace period ${graceText(pod.spec.terminationGracePeriodSeconds, opts.timeScale)}; again to kill)`
      : `podshim: ${signal}: killing pod "${name}"`)
    supervisor?.stop()
  }
  // SIGHUP: the terminal closed (an ssh session dropped); the pod stops as on Ctrl-C, nothing left behind
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  try {
    const paths = { stateDir: join(opts.stateRoot, 'pods', uid), dataDir: join(opts.dataRoot, 'pods', uid) }
    const cgroupRoot = findCgroup2Mount()
    // the record comes first: a supervisor killed from here on leaves nothing the next run does not find
    claimPodState(pod, paths, { cgroupRoot, cgroupParent: opts.cgroupParent, cgroupParentLevelsMade: podshimParentLevels(cgroupRoot, opts.cgroupParent) })
    let cgroup: PodCgroup
    try {
      cgroup = setupPodCgroup(pod, { root: cgroupRoot, parent: opts.cgroupParent, strict: opts.strictCgroups, pidsLimit: opts.pidsLimit })
    } catch (err) {
      removePodStateDir(paths.stateDir, uid)
      throw err
    }
    if (cgroup.unenforced.length > 0) {
      const message = `limits not enforced: ${describeUnenforced(cgroup.unenforced)}`
      process.stderr.write(`podshim: warning: ${message}\n`)
      events.warning('CgroupLimitsNotEnforced', message)
    }
    try {
      supervisor = createSupervisor(pod, objects, opts, { cgroup, paths, clock, events, terminal })
    } catch (err) {
      await cgroup.remove()
      removePodStateDir(paths.stateDir, uid)
      throw err
    }
    for (let i = 0; i < signals; i++) supervisor.stop()
    const result = await supervisor.run()
    await compressionsDone()
    if (isJson) {
      // the status is what a script runs podshim for: one it could not be given is a failure
      const error = await writeOut(JSON.stringify(result.status, null, 2) + '\n')
      if (error !== null) {
        process.stderr.write(`podshim: write the pod status to stdout: ${describeError(error)}\n`)
        return 1
      }
    } else if (!opts.quiet) process.stderr.write(formatSummary(name, result.status, new Set(pod.spec.initContainers.filter((c) => c.restartPolicy === 'Always').map((c) => c.name))))
    return result.exitCode
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
  }
}

/** Everything the supervisor needs. */
function createSupervisor(pod: DefaultedPod, objects: PodConfigObjects, opts: RunOptions, ctx: {
  cgroup: PodCgroup
  paths: SandboxPaths
  clock: Clock
  events: EventRecorder
  terminal: Terminal
}): PodSupervisor {
  const { uid, name, namespace } = pod.metadata
  const { cgroup, paths, clock, events, terminal } = ctx
  const hostname = pod.spec.hostNetwork ? hostHostname() : kernelHostname(pod)
  terminal.register([...pod.spec.initContainers, ...pod.spec.containers].map((c) => c.name))
  const sandbox = new PodSandbox(nativeApi, pod, paths, cgroup, PAUSE_PATH, objects)
  const runtime = new SandboxRuntime(sandbox, hostname, pod.spec.hostNetwork ? null : podFqdn(pod), podLogDir(opts.logRoot, namespace, name, uid), terminal)
  const images = new DefaultImageResolver({
    dataRoot: opts.dataRoot,
    registry: { insecureRegistries: opts.insecureRegistries, authFile: opts.registryConfig, pullSecrets: podPullSecrets(pod, objects, events) },
    ...(process.stdout.isTTY === true && !opts.quiet && opts.output === 'text' ? { progress: new PullProgress(process.stdout) } : {}),
  })
  // the probe machinery (workers, handlers, prober) is loaded only for pods that have probes or hooks
  const lifecycle = hasProbesOrHooks(pod)
    ? new (require('../supervisor/probe-agent') as typeof import('../supervisor/probe-agent')).ProbeAgent(nativeApi, clock, sandbox, events, `${name}_${namespace}(${uid})`)
    : NO_LIFECYCLE
  return new PodSupervisor(pod, { runtime, clock, images, events, lifecycle })
}

/**
 * The credentials of the pod's imagePullSecrets, tried before
 * --registry-config's; a name the manifest does not give is kubelet's
 * warning, and the pull goes on without it.
 */
function podPullSecrets(pod: DefaultedPod, objects: PodConfigObjects, events: EventRecorder): CredentialSource[] {
  // an empty name is ignored, as kubelet ignores it (the API lets it through)
  const names = (pod.spec.imagePullSecrets ?? []).map((ref) => ref.name ?? '').filter((name) => name !== '')
  if (names.length === 0) return []
  const { pullSecretCredentials } = require('../images/registry-credentials') as typeof import('../images/registry-credentials')
  const { sources, missing } = pullSecretCredentials(names, objects)
  if (missing.length > 0) {
    events.warning('FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`)
  }
  return sources
}

function hasProbesOrHooks(pod: DefaultedPod): boolean {
  return [...pod.spec.initContainers, ...pod.spec.containers].some((c) =>
    c.livenessProbe !== undefined || c.readinessProbe !== undefined || c.startupProbe !== undefined || c.lifecycle?.postStart !== undefined || c.lifecycle?.preStop !== undefined)
}

/** The grace period as the manifest gives it, raised to kubelet's minimum, and as it passes under --time-scale. */
export function graceText(seconds: number, timeScale: number): string {
  const minimum = MIN_GRACE_MS / 1000
  const effective = Math.max(seconds, minimum)
  const given = seconds < minimum ? `${seconds}s, raised to kubelet's ${minimum}s minimum` : `${seconds}s`
  return timeScale === 1 ? given : `${given}; ${+(effective / timeScale).toFixed(3)}s at --time-scale ${timeScale}`
}

function formatEvent(e: PodEvent): string {
  const object = e.fieldPath === '' ? 'pod' : e.fieldPath
  return `${timeOfDay(e.time)} ${e.type.padEnd(7)} ${e.reason.padEnd(12)} ${object}: ${e.message}`
}

/** Write to stdout; resolves once written out, with the error if it could not be. */
function writeOut(text: string): Promise<Error | null> {
  return new Promise((resolve) => {
    // the write's callback has the error; without a listener the stream's 'error' event would be a crash
    process.stdout.once('error', () => undefined)
    process.stdout.write(text, (err) => resolve(err ?? null))
  })
}
