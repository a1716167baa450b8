// One container instance's way from its image to a running process, as
// kubelet's startContainer steps 1-3 go: the image (pulled as its policy
// says, with kubelet's Pulling/Pulled events), Created, the runtime's
// start, Started, and the instance's exit recorded on the container; then
// step 4, its postStart hook. The supervisor goes on from there (probes,
// restarts).
import { pulledMessage, type ImageResolver, type ResolvedImage } from '../images/resolver'
import type { Clock } from './clock'
import type { ContainerRecord } from './container-record'
import type { StartedProcess } from './container-process'
import { containerFieldPath, type EventRecorder } from './events'
import type { LifecycleAgent } from './lifecycle-agent'
import type { PodRuntime } from './pod-runtime'
import { signalNumber } from './signals'

export interface LaunchContext {
  runtime: PodRuntime
  images: ImageResolver
  clock: Clock
  events: EventRecorder
  lifecycle: LifecycleAgent
  /** the images this pod holds (released after teardown), by ID */
  held: Map<string, ResolvedImage>
  /** containers already warned that their oom_score_adj could not be lowered (once each, as for pause) */
  oomScoreAdjWarned: Set<string>
  isStopping(): boolean
  /** the instance ended: its terminated state is recorded */
  onExit(rec: ContainerRecord): void
  /** kill a container whose postStart hook failed (kubelet: with the pod's grace period) */
  killForHook(rec: ContainerRecord): Promise<void>
}

/**
 * Start rec's next instance; undefined when the pod began stopping while
 * its image was resolved. Returns the process and a promise of its exit
 * having been recorded. Throws what the image or the runtime threw.
 */
export async function launchInstance(rec: ContainerRecord, ctx: LaunchContext): Promise<{ process: StartedProcess; instanceExited: Promise<{ wasStopping: boolean }> } | undefined> {
  const { events } = ctx
  const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
  const image = await ctx.images.resolve(rec.spec.image, rec.spec.imagePullPolicy, (m) => events.normal('Pulling', m, fieldPath))
  // held by this pod from here on, released after teardown
  ctx.held.set(image.imageId, image)
  if (ctx.isStopping()) return undefined
  rec.imageID = image.imageRef
  rec.statusImage = image.statusImage
  // KEP-4960: the container's stopSignal, else the image's, else SIGTERM
  rec.stopSignal = signalNumber(rec.spec.lifecycle?.stopSignal ?? image.config.stopSignal)
  events.normal('Pulled', pulledMessage(rec.spec.image, image.pulled), fieldPath)
  // Created once the configuration is made: a container kubelet cannot configure is never created
  let isCreated = false
  const created = (): void => {
    if (!isCreated) events.normal('Created', `Created container: ${rec.name}`, fieldPath)
    isCreated = true
  }
  const process = ctx.runtime.startContainer(rec.spec, image, rec.restartCount, created)
  created()
  rec.running(process, ctx.lifecycle.probesOf(rec.spec), rec.spec.lifecycle?.postStart !== undefined)
  // the process runs: a stop kills it from here on, whatever its postStart hook does
  rec.isStarting = false
  events.normal('Started', `Started container ${rec.name}`, fieldPath)
  const oomScoreAdj = process.oomScoreAdjNotSet
  if (oomScoreAdj !== undefined && oomScoreAdj !== null && !ctx.oomScoreAdjWarned.has(rec.name)) {
    ctx.oomScoreAdjWarned.add(rec.name)
    events.warning('OOMScoreAdjNotSet', `container keeps its inherited oom_score_adj: lowering it to ${oomScoreAdj} needs CAP_SYS_RESOURCE`, fieldPath)
  }
  const instanceExited = process.exited.then((status) => {
    // whether it ended on its own, before its exit may start the pod's end
    const wasStopping = ctx.isStopping()
    ctx.lifecycle.containerStopped(rec)
    const details = ctx.runtime.exitDetails(rec.name, process)
    rec.exited(status, ctx.clock.now(), details.isOomKilled, rec.killMessage ?? details.message)
    rec.finishedClockMs = ctx.clock.monotonicMs()
    ctx.onExit(rec)
    return { wasStopping }
  })
  return { process, instanceExited }
}

/** what ended the wait for a postStart hook: the hook (its error, if any) or the instance's exit */
type PostStartOutcome =
  | { kind: 'hookDone'; error: string | undefined }
  | { kind: 'exited'; wasStopping: boolean }

/**
 * kubelet's startContainer step 4: the hook runs before the start counts
 * (the container is abandoned by it if it exits meanwhile); on failure
 * the container is killed with the pod's grace period.
 */
export async function runPostStart(rec: ContainerRecord, process: StartedProcess, instanceExited: Promise<{ wasStopping: boolean }>, ctx: LaunchContext): Promise<void> {
  const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
  const outcome: PostStartOutcome = await Promise.race([
    ctx.lifecycle.postStart(rec).then((error) => ({ kind: 'hookDone' as const, error })),
    instanceExited.then(({ wasStopping }) => ({ kind: 'exited' as const, wasStopping })),
  ])
  // an instance that exited meanwhile shows its end already (and a restart may be showing its own hook)
  if (outcome.kind === 'exited' || rec.process !== process) {
    // kubelet's exec or HTTP hook fails with its container gone by itself: a failed hook's events, the kill finding it dead
    const hook = rec.spec.lifecycle?.postStart
    if (outcome.kind === 'exited' && !outcome.wasStopping && (hook?.exec !== undefined || hook?.httpGet !== undefined)) {
      ctx.events.warning('FailedPostStartHook', 'PostStartHook failed', fieldPath)
      ctx.events.normal('Killing', 'FailedPostStartHook', fieldPath)
    }
    return
  }
  rec.postStartDone()
  if (outcome.error === undefined || !rec.isRunning) return
  // as kubelet: the hook's output stays out of the event, so secrets cannot leak into it
  ctx.events.warning('FailedPostStartHook', 'PostStartHook failed', fieldPath)
  rec.killMessage = `PostStartHookError: ${outcome.error}`
  await ctx.killForHook(rec)
}
