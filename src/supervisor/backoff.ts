// kubelet's crash-loop backoff (client-go flowcontrol.Backoff as used by
// kuberuntime doBackOff): the first restart is immediate and arms a 10 s
// delay; each later restart waits until the delay has passed since the
// container finished, then doubles it, capped at 300 s; a container that
// stayed up for 2 x max (10 min) starts over. Pure, in kubelet milliseconds.

export const INITIAL_BACKOFF_MS = 10_000
export const MAX_BACKOFF_MS = 300_000

export class CrashLoopBackoff {
  private delayMs = 0
  private lastUpdateMs = -Infinity

  constructor(
    private readonly initialMs = INITIAL_BACKOFF_MS,
    private readonly maxMs = MAX_BACKOFF_MS,
  ) {}

  /** How long to wait (from now) before restarting a container that finished at finishedMs; 0 = restart now. */
  waitMs(nowMs: number, finishedMs: number): number {
    if (this.delayMs === 0 || finishedMs - this.lastUpdateMs > 2 * this.maxMs) return 0
    return Math.max(0, this.delayMs - (nowMs - finishedMs))
  }

  /** The delay the next wait would show (for kubelet's "back-off 20s" message). */
  get currentMs(): number {
    return this.delayMs
  }

  /** Record a (re)start: arm or double the delay (kubelet's backOff.Next). */
  next(nowMs: number): void {
    if (this.delayMs === 0 || nowMs - this.lastUpdateMs > 2 * this.maxMs) this.delayMs = this.initialMs
    else this.delayMs = Math.min(this.delayMs * 2, this.maxMs)
    this.lastUpdateMs = nowMs
  }
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never'

/** Whether a container that exited with `exitCode` restarts under a pod restartPolicy. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)
}
