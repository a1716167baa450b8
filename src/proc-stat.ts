// The few fields podshim reads from /proc/PID/stat (proc(5)): after
// "pid (comm) " come the state (field 3), ..., the flags (field 9), ...,
// the start time in clock ticks since boot (field 22). comm may hold spaces
// and parentheses, so the fields are counted from the last ')'.
import { readFileSync } from 'node:fs'

export interface ProcStat {
  state: string
  flags: number
  startTime: string
}

/** The process's stat fields, or undefined where it is gone (or unreadable). */
export function readProcStat(pid: number): ProcStat | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const field = (n: number): string => fields[n - 3]
  return { state: field(3), flags: Number(field(9)), startTime: field(22) }
}
