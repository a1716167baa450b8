// kubelet's doBackOff (kuberuntime_manager.go) for one container: restart
// now, or wait in CrashLoopBackOff with kubelet's message and BackOff event
// while the last termination stays visible as lastState; an image that
// could not be pulled waits in ImagePullBackOff instead and counts no
// restart (it never made a container). A liveness/startup kill asks for a
// restart whatever the exit code (kubelet's ContainersToStart).
import { formatGoDuration } from '../go-duration'
import type { Clock } from './clock'
import type { ContainerRecord } from './container-record'
import { containerFieldPath, type EventRecorder } from './events'

export interface RestartContext {
  clock: Clock
  events: EventRecorder
  /** the pod as kubelet's format.Pod prints it: name_namespace(uid) */
  podRef: string
  /** the restart is due: whether it may go ahead (false once the pod is stopping) */
  mayStart(): boolean
  start(rec: ContainerRecord): void
}

export function scheduleRestart(rec: ContainerRecord, ctx: RestartContext): void {
  const { clock, events } = ctx
  // kubelet milliseconds on the monotonic clock: under --time-scale the 10 min of clean running that resets the backoff pass scaled too
  const now = clock.monotonicMs()
  const wait = rec.backoff.waitMs(now, rec.finishedClockMs || now)
  const hasRun = rec.state.terminated !== undefined
  const restart = (): void => {
    rec.restartTimer = undefined
    if (!ctx.mayStart()) return
    if (rec.state.terminated !== undefined) rec.retire()
    if (hasRun) {
      rec.restartCount++
      rec.backoff.next(clock.monotonicMs())
    }
    ctx.start(rec)
  }
  if (wait === 0) return restart()
  const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
  const isImage = rec.state.waiting !== undefined
  if (rec.state.terminated !== undefined) rec.retire()
  if (isImage) {
    if (rec.state.waiting?.reason === 'ErrImagePull') rec.waiting('ImagePullBackOff', `Back-off pulling image "${rec.spec.image}"`)
    events.normal('BackOff', `Back-off pulling image "${rec.spec.image}"`, fieldPath)
    events.warning('Failed', `Error: ${rec.state.waiting?.reason ?? 'ImagePullBackOff'}`, fieldPath)
  } else {
    rec.waiting('CrashLoopBackOff', `back-off ${formatGoDuration(rec.backoff.currentMs)} restarting failed container=${rec.name} pod=${ctx.podRef}`)
    events.warning('BackOff', `Back-off restarting failed container ${rec.name} in pod ${ctx.podRef}`, fieldPath)
  }
  rec.restartTimer = clock.after(wait, restart)
}

/**
 * A probe kill put the container in kubelet's ContainersToStart: started
 * again in the same sync whatever its exit code, unless doBackOff refuses
 * (then later syncs judge it by restartPolicy alone).
 */
export function isRestartAsked(rec: ContainerRecord, clock: Clock): boolean {
  const now = clock.monotonicMs()
  return rec.isProbeKilled && rec.backoff.waitMs(now, rec.finishedClockMs || now) === 0
}
