// kubelet's activeDeadlineHandler (pkg/kubelet/active_deadline.go): a pod
// active on the node for spec.activeDeadlineSeconds since its startTime is
// failed (reason DeadlineExceeded, a Normal event of that name) and its
// containers are stopped with its grace period, restartPolicy or not.
import type { Clock, TimerHandle } from './clock'

/** The pod status's reason and message once the deadline passed. */
export const DEADLINE_EXCEEDED = {
  reason: 'DeadlineExceeded',
  message: 'Pod was active on the node longer than the specified deadline',
} as const

/** Call `onExceeded` when the deadline passes (kubelet seconds on the clock); nothing without one. */
export function armActiveDeadline(seconds: number | undefined, clock: Clock, onExceeded: () => void): TimerHandle | undefined {
  return seconds === undefined ? undefined : clock.after(seconds * 1000, onExceeded)
}
