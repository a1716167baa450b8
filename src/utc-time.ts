// The timestamps podshim writes, made from a Date's UTC fields. Not with
// Date.prototype.toISOString: the first call of it in a process makes V8 set
// up the local time zone (ICU reads the zone database), ~4 ms of every pod
// start (bench/), for a string that is UTC anyway.

function fields(date: Date): { day: string; time: string; ms: string } {
  const t = date.getTime()
  if (!Number.isFinite(t)) throw new RangeError('Invalid time value')
  const year = date.getUTCFullYear()
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} is outside 0000-9999`)
  const two = (n: number): string => String(n).padStart(2, '0')
  return {
    day: `${String(year).padStart(4, '0')}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}`,
    time: `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`,
    ms: String(date.getUTCMilliseconds()).padStart(3, '0'),
  }
}

/** As toISOString: 2024-01-02T03:04:05.678Z. */
export function isoTimestamp(date: Date): string {
  const { day, time, ms } = fields(date)
  return `${day}T${time}.${ms}Z`
}

/** Kubernetes' metav1.Time (RFC 3339, whole seconds): 2024-01-02T03:04:05Z. */
export function rfc3339(date: Date): string {
  const { day, time } = fields(date)
  return `${day}T${time}Z`
}

const NS_PER_MS = 1_000_000n
const NS_PER_S = 1_000_000_000n
/** a reading of the wall clock (ms) against the monotonic clock (ns) at the same moment */
let anchorMs = Date.now()
let anchorHr = process.hrtime.bigint()

/**
 * Nanoseconds since the epoch, as Go's time.Now() gives containerd: the
 * wall clock (ms) with the monotonic clock's ns within the ms. When the two
 * part (the wall clock was set or stepped, a suspend), the wall clock wins.
 */
export function wallClockNs(): bigint {
  const hr = process.hrtime.bigint()
  const nowMs = Date.now()
  const ns = BigInt(anchorMs) * NS_PER_MS + (hr - anchorHr)
  if (Math.abs(Number(ns / NS_PER_MS) - nowMs) <= 1) return ns
  anchorMs = nowMs
  anchorHr = hr
  return BigInt(nowMs) * NS_PER_MS
}

/**
 * Go's time.RFC3339Nano of a UTC time in ns since the epoch, as containerd
 * stamps CRI log lines: the fraction's trailing zeros dropped, and with
 * them the dot of a whole second (2024-01-02T03:04:05.6781Z, …:05Z).
 */
export function rfc3339Nano(ns: bigint): string {
  const { day, time } = fields(new Date(Number(ns / NS_PER_MS)))
  const fraction = String(((ns % NS_PER_S) + NS_PER_S) % NS_PER_S).padStart(9, '0').replace(/0+$/, '')
  return `${day}T${time}${fraction === '' ? '' : `.${fraction}`}Z`
}

/** The time of day, for event lines: 03:04:05.678. */
export function timeOfDay(date: Date): string {
  const { time, ms } = fields(date)
  return `${time}.${ms}`
}
