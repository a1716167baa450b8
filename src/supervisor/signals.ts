// Signal names as images give them (StopSignal "SIGQUIT", "QUIT", "3") to
// numbers, from Node's own table.
import { constants } from 'node:os'

const SIGNALS = constants.signals as Record<string, number>

export function signalNumber(name: string, fallback = 15): number {
  if (name === '') return fallback
  if (/^\d+$/.test(name)) return Number(name)
  const upper = name.toUpperCase()
  return SIGNALS[upper.startsWith('SIG') ? upper : `SIG${upper}`] ?? fallback
}
