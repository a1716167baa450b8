// Signal names as images and containers give them (StopSignal "SIGQUIT",
// "QUIT", "3", "SIGRTMIN+2") to numbers, from Node's own table, with the
// real-time signals numbered as containerd numbers them (moby/sys/signal:
// RTMIN is 34, after the two glibc keeps, RTMAX 64) and SIGCLD, SIGCHLD's
// old name.
import { constants } from 'node:os'

const SIGNALS = constants.signals as Record<string, number>
const RTMIN = 34
const RTMAX = 64
const REALTIME_RE = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/

export function signalNumber(name: string, fallback = 15): number {
  if (name === '') return fallback
  if (/^\d+$/.test(name)) return Number(name)
  const upper = name.toUpperCase()
  const sig = upper.startsWith('SIG') ? upper : `SIG${upper}`
  if (sig === 'SIGCLD') return SIGNALS.SIGCHLD
  const realtime = REALTIME_RE.exec(sig)
  if (realtime !== null) {
    const [, end, sign, offset] = realtime
    // only RTMIN+n and RTMAX-n name a real-time signal
    if (sign !== undefined && sign !== (end === 'MIN' ? '+' : '-')) return fallback
    const number = end === 'MIN' ? RTMIN + Number(offset ?? 0) : RTMAX - Number(offset ?? 0)
    return number >= RTMIN && number <= RTMAX ? number : fallback
  }
  return SIGNALS[sig] ?? fallback
}
