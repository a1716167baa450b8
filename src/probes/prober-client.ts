// The supervisor's side of a pod's prober process (prober-main.ts): network
// probes and hooks must connect from inside the pod's network namespace
// (the pod has only loopback), and Node may never setns(2) itself, so one
// small Node process per pod is started there by the addon: Setns(net) only,
// so it still sees the host's files (its script, the node binary). It is
// started on the first request, restarted on the next request after it
// died, and every request is bounded twice: by the prober's own timeout and
// by a client-side guard a little longer than that.
import { createInterface } from 'node:readline'
import { Socket } from 'node:net'
import { CLONE_NEWNET, type ExitStatus, type NativeApi, PlanOpCode } from '../native/contract'
import { makePipes } from '../native/pipes'
import { MAX_TIMER_MS, type Clock, type TimerHandle } from '../supervisor/clock'
import { spawnOrThrow } from '../supervisor/spawn-or-throw'
import type {
  ErrorResponse, GrpcRequest, GrpcResponse, HttpRequest, HttpResponse, ProberRequest, ProberResponse, TcpResponse,
} from './prober-protocol'
import { proberScriptPath } from './prober-script'

/** real time a request may take beyond its own timeout before the client gives up on the prober */
const CLIENT_MARGIN_MS = 3000
const STDERR_KEEP_BYTES = 2048
const CLOSE_GRACE_MS = 500
const SIGKILL = 9

export interface ProberOptions {
  /** the clock request timeouts are given in (kubelet milliseconds) */
  clock: Clock
  /** cgroup directory fd the prober starts in, or -1 (default: the supervisor's own cgroup) */
  cgroupFd?: number
  /** the prober script (default: proberScriptPath()) */
  scriptPath?: string
}

export type HttpParams = Omit<HttpRequest, 'id' | 'kind' | 'timeoutMs'>
export type GrpcParams = Omit<GrpcRequest, 'id' | 'kind' | 'timeoutMs'>

/** Timeouts are kubelet milliseconds on the options' clock; Infinity means none. */
export interface Prober {
  tcp(host: string, port: number, timeoutMs: number): Promise<TcpResponse | ErrorResponse>
  http(req: HttpParams, timeoutMs: number): Promise<HttpResponse | ErrorResponse>
  grpc(req: GrpcParams, timeoutMs: number): Promise<GrpcResponse | ErrorResponse>
  /** host pid of the running prober process, or 0 when none runs */
  readonly pid: number
  /** stop the prober; pending requests reject */
  close(): Promise<void>
}

type RequestBody = ProberRequest extends infer R ? (R extends ProberRequest ? Omit<R, 'id' | 'timeoutMs'> : never) : never

class ProberExitedError extends Error {}

interface Pending {
  resolve(response: ProberResponse): void
  reject(err: Error): void
  timer: TimerHandle | undefined
}

interface Running {
  pid: number
  pidfd: number
  stdin: Socket
  pending: Map<number, Pending>
  exited: Promise<void>
  /** set once the exit was seen and the pidfd closed: never signal it after that */
  isExited: boolean
}

/**
 * A lazily started prober in the network namespace behind netnsFd (an fd of
 * /proc/<pause>/ns/net the caller keeps open until close()).
 */
export function startProber(native: NativeApi, netnsFd: number, options: ProberOptions): Prober {
  const { clock } = options
  let running: Running | undefined
  let nextId = 1
  let isClosed = false

  const spawn = (): Running => {
    const script = options.scriptPath ?? proberScriptPath()
    const [[inRead, inWrite], [outRead, outWrite], [errRead, errWrite]] = makePipes(native, 3)
    let spawned
    try {
      spawned = spawnOrThrow(native, {
        cloneFlags: 0,
        pidNsFd: -1,
        cgroupFd: options.cgroupFd ?? -1,
        ops: [
          { op: PlanOpCode.Setns, fd: netnsFd, nstype: CLONE_NEWNET, label: 'pod network namespace' },
          { op: PlanOpCode.Pdeathsig, signal: SIGKILL, parentPid: process.pid },
          { op: PlanOpCode.Dup2, fd: inRead, target: 0 },
          { op: PlanOpCode.Dup2, fd: outWrite, target: 1 },
          { op: PlanOpCode.Dup2, fd: errWrite, target: 2 },
          { op: PlanOpCode.CloseFrom, fd: 3 },
          { op: PlanOpCode.Chdir, path: '/' },
          // no NODE_EXTRA_CA_CERTS or NODE_OPTIONS: each costs start-up time, and the prober verifies no certificate
          { op: PlanOpCode.Execve, path: process.execPath, argv: ['node', script], envp: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
        ],
      }, 'start prober')
    } catch (err) {
      for (const fd of [inWrite, outRead, errRead]) native.close(fd)
      throw err
    } finally {
      for (const fd of [inRead, outWrite, errWrite]) native.close(fd)
    }
    const stdin = new Socket({ fd: inWrite, readable: false, writable: true })
    stdin.on('error', () => stdin.destroy())
    const stdout = new Socket({ fd: outRead, readable: true, writable: false })
    const stderr = new Socket({ fd: errRead, readable: true, writable: false })
    let stderrTail = ''
    stderr.setEncoding('utf8')
    stderr.on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-STDERR_KEEP_BYTES)))
    stderr.on('error', () => stderr.destroy())
    const pending = new Map<number, Pending>()
    createInterface({ input: stdout }).on('line', (line) => {
      let response: ProberResponse
      try {
        response = JSON.parse(line) as ProberResponse
      } catch {
        return
      }
      const waiter = pending.get(response.id)
      if (waiter === undefined) return
      pending.delete(response.id)
      waiter.timer?.cancel()
      waiter.resolve(response)
    })
    stdout.on('error', () => stdout.destroy())
    const state = { isExited: false }
    let resolveExited = (): void => undefined
    const exited = new Promise<void>((resolve) => (resolveExited = resolve))
    try {
      native.watchExit(spawned.pidfd, (status: ExitStatus) => {
        state.isExited = true
        native.close(spawned.pidfd)
        if (running?.pidfd === spawned.pidfd) running = undefined
        stdin.destroy()
        // let the last output arrive before the pending requests are failed
        setImmediate(() => {
          const how = status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`
          const tail = stderrTail.trim()
          for (const waiter of pending.values()) {
            waiter.timer?.cancel()
            waiter.reject(new ProberExitedError(`prober exited with ${how}${tail === '' ? '' : `: ${tail}`}`))
          }
          pending.clear()
          stdout.destroy()
          stderr.destroy()
          resolveExited()
        })
      })
    } catch (err) {
      // no way to learn of its exit: stop it (it stays a zombie until podshim exits) rather than leave it running
      for (const socket of [stdin, stdout, stderr]) socket.destroy()
      try {
        native.signal(spawned.pidfd, SIGKILL)
      } finally {
        native.close(spawned.pidfd)
      }
      throw err
    }
    return Object.assign(state, { pid: spawned.pid, pidfd: spawned.pidfd, stdin, pending, exited })
  }

  const kill = (proc: Running): void => {
    if (!proc.isExited) native.signal(proc.pidfd, SIGKILL)
  }

  // a request that met a prober dying under it gets one more try on a fresh prober
  const request = (body: RequestBody, timeoutMs: number): Promise<ProberResponse> =>
    send(body, timeoutMs).catch((err: Error) => {
      if (!(err instanceof ProberExitedError) || isClosed) throw err
      return send(body, timeoutMs)
    })

  const send = (body: RequestBody, timeoutMs: number): Promise<ProberResponse> => {
    if (isClosed) return Promise.reject(new Error('send probe request: prober is closed'))
    let proc: Running
    try {
      proc = running ??= spawn()
    } catch (err) {
      return Promise.reject(err as Error)
    }
    const id = nextId++
    const hasTimeout = Number.isFinite(timeoutMs)
    // the prober's own timers are plain setTimeouts: past 24.8 days a timeout is as good as none
    const realMs = clock.real(timeoutMs)
    const req = { ...body, id, timeoutMs: hasTimeout && realMs <= MAX_TIMER_MS ? realMs : null } as ProberRequest
    return new Promise<ProberResponse>((resolve, reject) => {
      const timer = hasTimeout
        ? clock.after(timeoutMs + CLIENT_MARGIN_MS * clock.scale, () => {
          proc.pending.delete(id)
          reject(new Error(`probe request ${id}: prober did not answer within ${timeoutMs} ms; restarting it`))
          // a prober that misses its own deadline is wedged: the next request starts a fresh one
          kill(proc)
        })
        : undefined
      proc.pending.set(id, { resolve, reject, timer })
      proc.stdin.write(`${JSON.stringify(req)}\n`)
    })
  }

  return {
    get pid() {
      return running?.pid ?? 0
    },
    tcp: (host, port, timeoutMs) => request({ kind: 'tcp', host, port }, timeoutMs) as Promise<TcpResponse | ErrorResponse>,
    http: (req, timeoutMs) => request({ kind: 'http', ...req }, timeoutMs) as Promise<HttpResponse | ErrorResponse>,
    grpc: (req, timeoutMs) => request({ kind: 'grpc', ...req, timeScale: clock.scale }, timeoutMs) as Promise<GrpcResponse | ErrorResponse>,
    async close() {
      isClosed = true
      const proc = running
      if (proc === undefined) return
      proc.stdin.end()
      // a real-time grace, not a lifecycle timer: the prober exits on EOF at once
      const timer = setTimeout(() => kill(proc), CLOSE_GRACE_MS)
      await proc.exited
      clearTimeout(timer)
    },
  }
}
