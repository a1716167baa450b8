// Shared helpers for the native integration tests: spawn a plan, wait for its
// exit, capture output through a temp file, find this process's children.
// Every helper registers its own cleanup with t.teardown, so a failing
// assertion leaves no process, fd or directory behind.

import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { nativeApi } from '../../../src/native/addon'
import { PlanOpCode, type ExitStatus, type PlanOp, type SpawnPlan, type SpawnedProcess } from '../../../src/native/contract'

type Test = { teardown(fn: () => void | Promise<void>): void }

export const SIGKILL = 9
export const SIGTERM = 15

/** A temp directory removed at teardown. */
export function tempDir(t: Test, prefix = 'podshim-native-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function execve(path: string, argv: string[], envp: string[] = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin']): PlanOp {
  return { op: PlanOpCode.Execve, path, argv, envp }
}

export function plan(ops: PlanOp[], extra: Partial<SpawnPlan> = {}): SpawnPlan {
  return { cloneFlags: 0, pidNsFd: -1, cgroupFd: -1, ops, ...extra }
}

/** A running child; its exit is watched from the start, and teardown SIGKILLs it and closes the pidfd. */
export interface Child extends SpawnedProcess {
  exited: Promise<ExitStatus>
  isDone: boolean
}

export function spawnChild(t: Test, spawnPlan: SpawnPlan): Child {
  const spawned = nativeApi.spawn(spawnPlan)
  let child: Child
  const exited = new Promise<ExitStatus>(resolve => {
    nativeApi.watchExit(spawned.pidfd, status => {
      child.isDone = true
      nativeApi.close(spawned.pidfd)
      resolve(status)
    })
  })
  child = { ...spawned, exited, isDone: false }
  t.teardown(async () => {
    if (child.isDone) return
    nativeApi.signal(child.pidfd, SIGKILL)
    await exited
  })
  return child
}

/** Run a plan to its end with stdout/stderr in a temp file: [status, output]. */
export async function runCaptured(t: Test, ops: PlanOp[], extra: Partial<SpawnPlan> = {}): Promise<[ExitStatus, string]> {
  const dir = tempDir(t, 'podshim-out-')
  const outPath = join(dir, 'out')
  const fd = openSync(outPath, 'w')
  let child: Child
  try {
    child = spawnChild(t, plan([
      { op: PlanOpCode.Dup2, fd, target: 1 },
      { op: PlanOpCode.Dup2, fd, target: 2 },
      { op: PlanOpCode.CloseFrom, fd: 3 },
      ...ops,
    ], extra))
  } finally {
    closeSync(fd)
  }
  const status = await child.exited
  return [status, readFileSync(outPath, 'utf8')]
}

/** Pids whose parent is this process, with their state letter (Z = zombie). */
export function childrenOfThisProcess(): Map<number, string> {
  const children = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // it exited while we looked
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[1]) === process.pid) children.set(Number(entry), fields[0])
  }
  return children
}

/** One field of /proc/<pid>/status, e.g. statusField(pid, 'NSpid') → '1234\t1'. */
export function statusField(pid: number, name: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith(`${name}:`))
  return line?.slice(name.length + 1).trim()
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Poll until check() is true or timeoutMs passed; returns the last result. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (check()) return true
    if (Date.now() > deadline) return false
    await sleep(20)
  }
}
