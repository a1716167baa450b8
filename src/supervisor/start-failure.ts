// A container start that failed before its process ran, recorded as kubelet
// and containerd report it: an image that cannot be pulled waits (ErrImagePull,
// InvalidImageName, ...) with kubelet's image backoff armed by the failure
// itself and the image manager's events; any other failure is containerd's
// StartError (exit code 128) with a Failed event.
import type { Clock } from './clock'
import type { ContainerRecord } from './container-record'
import { describeError, runExitCodeOf } from './describe-error'
import { containerFieldPath, type EventRecorder } from './events'

export function recordStartFailure(rec: ContainerRecord, err: unknown, clock: Clock, events: EventRecorder): void {
  const fieldPath = containerFieldPath(rec.name, rec.kind !== 'regular')
  const message = describeError(err)
  const reason = (err as { reason?: string }).reason
  if (reason !== undefined && reason !== 'CreateContainerConfigError') {
    rec.waiting(reason, message)
    rec.backoff.next(clock.monotonicMs())
    // kubelet's image manager events, then the container's Failed
    if (reason === 'ErrImagePull') events.warning('Failed', `Failed to pull image "${rec.spec.image}": ${message}`, fieldPath)
    else if (reason === 'InvalidImageName') events.warning('InspectFailed', message, fieldPath)
    else events.warning(reason, message, fieldPath)
    events.warning('Failed', `Error: ${reason}`, fieldPath)
  } else {
    rec.startFailed(message, clock.now(), runExitCodeOf(err))
    rec.finishedClockMs = clock.monotonicMs()
    events.warning('Failed', `Error: ${message}`, fieldPath)
  }
}
