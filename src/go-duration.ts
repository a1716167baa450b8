// Go's time.Duration String(), to the millisecond: kubelet's messages print
// durations this way ("10s", "1m20s", "1.5s", "500ms"), and podshim repeats
// them word for word (backoff, pull times, probe timeouts).

export function formatGoDuration(ms: number): string {
  const whole = Number.isFinite(ms) ? Math.max(0, Math.floor(ms)) : 0
  if (whole === 0) return '0s'
  if (whole < 1000) return `${whole}ms`
  const h = Math.floor(whole / 3_600_000)
  const m = Math.floor((whole % 3_600_000) / 60_000)
  const secMs = whole % 60_000
  const frac = String(secMs % 1000).padStart(3, '0').replace(/0+$/, '')
  const sec = `${Math.floor(secMs / 1000)}${frac === '' ? '' : `.${frac}`}s`
  return h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec
}
