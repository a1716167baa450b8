// Which capabilities this process has (CapEff in /proc/self/status), for the
// steps that need one a root may lack here, e.g. CAP_SYS_RESOURCE.
import { readFileSync } from 'node:fs'

export const CAP_SYS_RESOURCE = 24

export function hasCapability(cap: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 1n
}
