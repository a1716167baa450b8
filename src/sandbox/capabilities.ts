// Capabilities on this machine: which ones this process has (CapEff in
// /proc/self/status, for the steps that need one a root may lack here, e.g.
// CAP_SYS_RESOURCE), and the highest the kernel knows. What a container
// keeps is capability-sets.ts.
import { readFileSync } from 'node:fs'

export const CAP_SYS_RESOURCE = 24

/** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
export function lastCapability(): number {
  return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim())
}

export function hasCapability(cap: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(cap)) & 1n) === 1n
}
