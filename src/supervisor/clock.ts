// The one clock every lifecycle timer reads (restart backoff, probe periods,
// grace periods, hook timeouts). `scale` > 1 runs kubelet's timings that many
// times faster, so a crash loop or a grace period can be watched in seconds;
// the logic never sees the difference, only the durations it waits shrink.
// Durations are given in kubelet's (unscaled) milliseconds.

export interface TimerHandle {
  cancel(): void
}

export interface Clock {
  /** wall time, for status timestamps (never scaled) */
  now(): Date
  /** run fn after `ms` kubelet-milliseconds (divided by the scale) */
  after(ms: number, fn: () => void): TimerHandle
  /** a kubelet-duration expressed in real milliseconds */
  real(ms: number): number
  /** a monotonic reading in kubelet milliseconds (real elapsed time × scale), for elapsed times */
  monotonicMs(): number
  readonly scale: number
}

/**
 * Milliseconds from an arbitrary start, monotonic: process.hrtime, which
 * needs no module (the global `performance` loads perf_hooks, ~0.5 ms of a
 * pod's start).
 */
export function monotonicNowMs(): number {
  const [seconds, nanoseconds] = process.hrtime()
  return seconds * 1e3 + nanoseconds / 1e6
}

/** The longest delay setTimeout takes as given */
export const MAX_TIMER_MS = 2 ** 31 - 1

export function systemClock(scale = 1): Clock {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`time scale must be a positive number (got ${scale})`)
  return {
    scale,
    now: () => new Date(),
    real: (ms) => ms / scale,
    monotonicMs: () => monotonicNowMs() * scale,
    after(ms, fn) {
      // setTimeout fires at once past 2^31-1 ms (24.8 days): a longer wait is re-armed in steps
      let timer: NodeJS.Timeout
      const arm = (remainingMs: number): void => {
        const stepMs = Math.min(remainingMs, MAX_TIMER_MS)
        timer = setTimeout(() => (remainingMs > stepMs ? arm(remainingMs - stepMs) : fn()), stepMs)
      }
      arm(ms / scale)
      return { cancel: () => clearTimeout(timer) }
    },
  }
}

/** A clock tests advance by hand: timers fire in due order, synchronously. */
export class FakeClock implements Clock {
  readonly scale = 1
  private time: number
  private timers: { due: number; seq: number; fn: () => void }[] = []
  private seq = 0

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start
  }

  now(): Date {
    return new Date(this.time)
  }

  real(ms: number): number {
    return ms
  }

  monotonicMs(): number {
    return this.time
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer = { due: this.time + ms, seq: this.seq++, fn }
    this.timers.push(timer)
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) }
  }

  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq)
      const next = this.timers[0]
      if (next === undefined || next.due > end) break
      this.timers.shift()
      this.time = next.due
      next.fn()
    }
    this.time = end
  }
}
