// Shared harness for the pod integration tests: every test gets its own
// temporary state/log/data roots and a unique cgroup parent, runs the real
// CLI (`node bin/podshim run …`) as a child process, and at teardown checks
// that nothing of it is left: no process in its cgroup parent or among the
// pids it tracked, no mount under its roots, no cgroup, no pod state. What
// is left is removed (by pid, by path, only what this test made) and the
// test fails naming it. Deliberately independent of src/: the checker must
// not share the bugs of the code it checks.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** The part of a tap Test the harness needs. */
export interface TestLike {
  teardown(fn: () => void | Promise<void>): void
}

const REPO_ROOT = resolve(__dirname, '../../..')
/** The CLI under test; PODSHIM_TEST_CLI points the suite at another build. */
export const CLI_PATH = process.env.PODSHIM_TEST_CLI ?? join(REPO_ROOT, 'bin/podshim')
/** A run that takes longer than this is killed and reported. */
export const RUN_TIMEOUT_MS = 30_000

// ---------------------------------------------------------------- host facts

interface MountEntry {
  mountPoint: string
  fsType: string
  options: string[]
}

/** mountinfo(5) lines of this process's mount namespace (octal escapes decoded). */
export function readMounts(path = '/proc/self/mountinfo'): MountEntry[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((line) => {
    const [left, right] = line.split(' - ')
    const fields = left.split(' ')
    return { mountPoint: unescape(fields[4]), fsType: right.split(' ')[0], options: fields[5].split(',') }
  })
}

let cgroup2Root: string | undefined

/** Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup or, on hybrid hosts, /sys/fs/cgroup/unified). */
export function cgroup2Mount(): string {
  cgroup2Root ??= readMounts().find((m) => m.fsType === 'cgroup2')?.mountPoint
  if (cgroup2Root === undefined) throw new Error('no cgroup2 mount in /proc/self/mountinfo')
  return cgroup2Root
}

/** `readlink /proc/<pid>/ns/<name>` of this (the test) process. */
export function ownNamespace(name: string): string {
  return execFileSync('readlink', [`/proc/self/ns/${name}`], { encoding: 'utf8' }).trim()
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or undefined when the pid is gone. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/** Whether the process is alive and not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Host pids of every process in the cgroup tree at dir (cgroup.procs of each level). */
export function pidsInCgroupTree(dir: string): number[] {
  if (!existsSync(dir)) return []
  const pids: number[] = []
  const walk = (d: string): void => {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (/^\d+$/.test(l)) pids.push(Number(l))
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
    } catch {
      // removed while walking
    }
  }
  walk(dir)
  return pids
}

/** Live processes whose cgroup v2 path contains `/<name>/` or ends with `/<name>`. */
function pidsInCgroupNamed(name: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const line = readFileSync(`/proc/${entry}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))
      if (line !== undefined && (line.includes(`/${name}/`) || line.endsWith(`/${name}`))) pids.push(Number(entry))
    } catch {
      // exited meanwhile
    }
  }
  return pids
}

// ---------------------------------------------------------------- output

/** Container output lines `name | text` (as the terminal prints them without a TTY), for one container. */
export function containerLines(output: string, container: string): string[] {
  const out: string[] = []
  for (const line of output.split('\n')) {
    const m = /^(\S+) *\| (.*)$/.exec(line)
    if (m !== null && m[1] === container) out.push(m[2])
  }
  return out
}

/** `key=value` lines a payload printed, as a map (the last value of a key wins). */
export function keyValues(lines: string[]): Map<string, string> {
  const map = new Map<string, string>()
  for (const line of lines) {
    const i = line.indexOf('=')
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1))
  }
  return map
}

// ---------------------------------------------------------------- manifests

export type Json = Record<string, unknown>

/** A container of the built-in host image running `sh -c script`. */
export function shContainer(name: string, script: string, extra: Json = {}): Json {
  return { name, image: 'podshim/host', command: ['sh', '-c', script], ...extra }
}

/** A v1 Pod (restartPolicy Never unless spec overrides it). */
export function podManifest(name: string, containers: Json[], spec: Json = {}): Json {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { restartPolicy: 'Never', containers, ...spec } }
}

// ---------------------------------------------------------------- runs

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** wall time from spawn to exit */
  ms: number
  /** with -o json: the parsed PodStatus (undefined when stdout was not JSON) */
  status?: any
}

export interface RunOptions {
  /** extra CLI options, e.g. ['-o', 'json'] */
  args?: string[]
  /** written to the CLI's stdin (then closed) */
  stdin?: string
  /** use this FILE argument instead of writing the manifest (e.g. '-' or a missing path) */
  file?: string
  /** SIGTERM the CLI (a graceful stop) after this long, SIGKILL 10 s later; default RUN_TIMEOUT_MS */
  timeoutMs?: number
}

export interface RunningPod {
  child: ChildProcess
  pid: number
  result: Promise<RunResult>
  /** stdout + stderr so far */
  output(): string
  /** Resolve once the combined output matches re (rejects at the timeout or when the CLI exits first). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
}

export class PodEnv {
  readonly dir: string
  readonly stateRoot: string
  readonly logRoot: string
  readonly dataRoot: string
  readonly cgroupParent: string
  private readonly children: ChildProcess[] = []
  private readonly tracked = new Map<number, string>()
  private manifests = 0

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'podshim-pod-test-'))
    // the roots do not exist yet: podshim makes them, so a test can tell whether it did
    this.stateRoot = join(this.dir, 'state')
    this.logRoot = join(this.dir, 'log')
    this.dataRoot = join(this.dir, 'data')
    this.cgroupParent = `podshim-test-${randomBytes(6).toString('hex')}`
  }

  get cgroupDir(): string {
    return join(cgroup2Mount(), this.cgroupParent)
  }

  rootArgs(): string[] {
    return ['--state-root', this.stateRoot, '--log-root', this.logRoot, '--data-root', this.dataRoot, '--cgroup-parent', this.cgroupParent]
  }

  /** Write a manifest (an object as JSON, or text as it is) into the test dir; returns its path. */
  writeManifest(manifest: Json | string): string {
    const path = join(this.dir, `pod-${++this.manifests}.yaml`)
    writeFileSync(path, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2))
    return path
  }

  /** Remember a host pid of the pod: at teardown it must be gone. */
  track(pid: number): void {
    const start = startTimeOf(pid)
    if (start !== undefined) this.tracked.set(pid, start)
  }

  start(manifest: Json | string | null, opts: RunOptions = {}): RunningPod {
    const file = opts.file ?? this.writeManifest(manifest ?? '')
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PODSHIM_') && !k.startsWith('TAP')))
    const started = Date.now()
    const child = spawn(process.execPath, [CLI_PATH, 'run', ...this.rootArgs(), ...(opts.args ?? []), file], {
      env, stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.children.push(child)
    let stdout = ''
    let stderr = ''
    const waiters: Array<() => void> = []
    const notify = (): void => waiters.slice().forEach((w) => w())
    child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; notify() })
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; notify() })
    child.stdin!.on('error', () => undefined)
    child.stdin!.end(opts.stdin ?? '')
    let killTimer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    }, opts.timeoutMs ?? RUN_TIMEOUT_MS)
    const result = new Promise<RunResult>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        clearTimeout(killTimer)
        const r: RunResult = { code, signal, stdout, stderr, ms: Date.now() - started }
        if (opts.args?.includes('json') === true) {
          try {
            r.status = JSON.parse(stdout)
          } catch {
            // left undefined: the test's assertion on status says so
          }
        }
        notify()
        resolve(r)
      })
    })
    let isClosed = false
    void result.then(() => (isClosed = true))
    const waitFor = (re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(stdout + stderr)
        if (m !== null) return done(() => resolve(m))
        if (isClosed || child.exitCode !== null || child.signalCode !== null) {
          done(() => reject(new Error(`podshim exited before its output matched ${re}:\n${stdout}${stderr}`)))
        }
      }
      const deadline = setTimeout(() => done(() => reject(new Error(`output did not match ${re} within ${timeoutMs} ms:\n${stdout}${stderr}`))), timeoutMs)
      const done = (fn: () => void): void => {
        clearTimeout(deadline)
        const i = waiters.indexOf(check)
        if (i >= 0) waiters.splice(i, 1)
        fn()
      }
      waiters.push(check)
      check()
    })
    return { child, pid: child.pid!, result, output: () => stdout + stderr, waitFor }
  }

  /** Run a pod to its end. */
  run(manifest: Json | string | null, opts: RunOptions = {}): Promise<RunResult> {
    return this.start(manifest, opts).result
  }

  /**
   * What of this test is still there. With clean = true, also remove it:
   * SIGKILL the CLI processes and tracked pids (by pid), kill and rmdir the
   * test's cgroup parent, lazily unmount what is mounted under the test
   * dir, and delete the test dir. Returns one line per leftover.
   */
  async leftovers(clean: boolean): Promise<string[]> {
    const found: string[] = []
    for (const child of this.children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      found.push(`podshim run (pid ${child.pid}) still running`)
      if (clean) {
        child.kill('SIGKILL')
        await new Promise((r) => child.once('close', r))
      }
    }
    // a killed supervisor's pod dies with it (PDEATHSIG, PID namespace); give the kernel a moment
    const deadline = Date.now() + 2000
    let pids: number[] = []
    const liveTracked = (): number[] => [...this.tracked].filter(([pid, start]) => startTimeOf(pid) === start && isAlive(pid)).map(([pid]) => pid)
    do {
      pids = [...new Set([...liveTracked(), ...pidsInCgroupNamed(this.cgroupParent)])].filter(isAlive)
      if (pids.length === 0) break
      await sleep(50)
    } while (Date.now() < deadline)
    for (const pid of pids) {
      found.push(`process ${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}) still alive`)
      if (clean) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone meanwhile
        }
      }
    }
    if (existsSync(this.cgroupDir)) {
      found.push(`cgroup ${this.cgroupDir} still exists`)
      if (clean) await removeCgroupTree(this.cgroupDir)
    }
    const mounts = readMounts().map((m) => m.mountPoint).filter((p) => p === this.dir || p.startsWith(this.dir + '/'))
    for (const point of mounts.sort((a, b) => b.length - a.length)) {
      found.push(`mount ${point} still mounted`)
      if (clean) {
        try {
          execFileSync('umount', ['-l', point], { stdio: 'ignore' })
        } catch {
          // already gone with its parent
        }
      }
    }
    for (const root of [this.stateRoot, this.dataRoot]) {
      const pods = join(root, 'pods')
      const entries = existsSync(pods) ? readdirSync(pods) : []
      for (const e of entries) found.push(`pod state ${join(pods, e)} still exists`)
    }
    if (clean) rmSync(this.dir, { recursive: true, force: true })
    return found
  }

  /** All CLI processes this test started. */
  get processes(): readonly ChildProcess[] {
    return this.children
  }
}

/** Kill every process of the cgroup tree (cgroup.kill, which is ours: the test named it) and rmdir it bottom-up. */
async function removeCgroupTree(dir: string): Promise<void> {
  const dirs: string[] = []
  const walk = (d: string): void => {
    dirs.push(d)
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
    } catch {
      // gone
    }
  }
  walk(dir)
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1')
  } catch {
    for (const pid of pidsInCgroupTree(dir)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
  }
  const deadline = Date.now() + 3000
  while (pidsInCgroupTree(dir).length > 0 && Date.now() < deadline) await sleep(20)
  for (const d of dirs.reverse()) {
    try {
      rmdirSync(d)
    } catch {
      // reported as a leftover already
    }
  }
}

/**
 * A fresh environment for one test. Its teardown removes whatever is left
 * and fails the test (a thrown error in teardown) naming each leftover.
 */
export function podEnv(t: TestLike): PodEnv {
  const env = new PodEnv()
  t.teardown(async () => {
    const found = await env.leftovers(true)
    if (found.length > 0) throw new Error(`left behind by the test:\n  ${found.join('\n  ')}`)
  })
  return env
}
