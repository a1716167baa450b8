// One entry point for every handler kubelet runs against a container:
// probes (pkg/kubelet/prober/prober.go runProbe) and lifecycle hooks
// (pkg/kubelet/lifecycle/handlers.go Run). exec runs in the container,
// httpGet/tcpSocket/grpc through the pod's prober (inside its network
// namespace), sleep on the scaled clock. Probe outputs and hook messages are
// kubelet's words; a thrown error (container gone, bad port name, prober
// not startable) becomes result 'error', which a probe worker discards.
import type { ExecResult } from './exec-in-container'
import type { Clock } from '../supervisor/clock'
import { expandWithMap } from '../spec/expand'
import type {
  DefaultedContainerPort, DefaultedLifecycleHandler, DefaultedProbe, EnvVar,
} from '../spec/types'
import { grpcProbeResult, httpProbeResult, httpRequestFor, POD_HOST, resolvePort, tcpProbeResult, type HandlerResult } from './http-get'
import type { Prober } from './prober-client'

export type { HandlerResult, ProbeOutcome } from './http-get'

/** The action part of a probe or a hook (exactly one field set). */
export type Handler =
  | Pick<DefaultedProbe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'>
  | DefaultedLifecycleHandler

export interface HandlerContext {
  clock: Clock
  /** the container's name, for hook messages */
  containerName: string
  /** the pod as kubelet's format.Pod prints it: name_namespace(uid) */
  podLabel: string
  /** the container's ports, for named httpGet/tcpSocket ports */
  ports: readonly DefaultedContainerPort[]
  /** the container's env as written: exec probe commands expand $(VAR) against it (static values only, as kubelet) */
  env: readonly EnvVar[]
  /** run argv in the container (execInContainer bound to it); timeoutMs in kubelet ms, Infinity = none */
  exec(argv: string[], timeoutMs: number): Promise<ExecResult>
  /** the pod's prober (startProber's result; it starts on its first request) */
  prober(): Prober
}

export type HandlerKind = 'probe' | 'hook'

/**
 * Run handler once. timeoutMs is in kubelet milliseconds (the probe's
 * timeoutSeconds × 1000; for hooks Infinity for postStart, the remaining
 * grace period for preStop). For probes, 'warning' is kubelet's
 * probe.Warning (a success plus a ProbeWarning event); for hooks, 'warning'
 * is a success after the HTTPS→HTTP fallback (a LifecycleHTTPFallback
 * event), and 'failure' carries kubelet's hook message.
 */
export async function runHandler(handler: Handler, ctx: HandlerContext, kind: HandlerKind, timeoutMs: number): Promise<HandlerResult> {
  try {
    return kind === 'probe' ? await runProbeHandler(handler, ctx, timeoutMs) : await runHookHandler(handler, ctx, timeoutMs)
  } catch (err) {
    return { result: 'error', message: (err as Error).message }
  }
}

/** Go's %q for a string, close enough for ASCII: JSON's escaping. */
function quote(text: string): string {
  return JSON.stringify(text)
}

async function runProbeHandler(handler: Handler, ctx: HandlerContext, timeoutMs: number): Promise<HandlerResult> {
  if (handler.exec !== undefined) {
    const vars = new Map(ctx.env.map((e) => [e.name, e.value ?? '']))
    const argv = (handler.exec.command ?? []).map((arg) => expandWithMap(arg, vars))
    const run = await ctx.exec(argv, timeoutMs)
    // ExecSync's error, not an exit: exec.Probe gives Unknown with the error, which the worker throws away
    if (run.isNotStarted === true) return { result: 'error', message: run.output }
    // the CRI's timeout error, which kubelet's ExecProbeTimeout turns into a failure
    if (run.timedOut) return { result: 'failure', message: `command ${quote(argv.join(' '))} timed out` }
    return { result: run.exitCode === 0 ? 'success' : 'failure', message: run.output }
  }
  if (handler.httpGet !== undefined) {
    const req = httpRequestFor(handler.httpGet, ctx.ports, 'probe')
    const answer = await ctx.prober().http({ ...req, redirects: 'same-host', verifyTls: false }, timeoutMs)
    return httpProbeResult(answer)
  }
  if (handler.tcpSocket !== undefined) {
    const host = handler.tcpSocket.host !== undefined && handler.tcpSocket.host !== '' ? handler.tcpSocket.host : POD_HOST
    const port = resolvePort(handler.tcpSocket.port, ctx.ports)
    return tcpProbeResult(await ctx.prober().tcp(host, port, timeoutMs))
  }
  if ('grpc' in handler && handler.grpc !== undefined) {
    const { port, service = '' } = handler.grpc
    const answer = await ctx.prober().grpc({ host: POD_HOST, port, service, userAgent: 'kube-probe/1.33' }, timeoutMs)
    return grpcProbeResult(answer, `${POD_HOST}:${port}`, timeoutMs)
  }
  throw new Error('run probe: no handler set')
}

async function runHookHandler(handler: Handler, ctx: HandlerContext, timeoutMs: number): Promise<HandlerResult> {
  const where = `for Container ${quote(ctx.containerName)} in Pod ${quote(ctx.podLabel)}`
  if (handler.exec !== undefined) {
    const argv = handler.exec.command ?? []
    const run = await ctx.exec(argv, timeoutMs)
    if (run.exitCode === 0 && !run.timedOut) return { result: 'success', message: '' }
    // a command that never ran is the runtime's exec error, not an exit code (as for probes)
    if (run.isNotStarted === true) return { result: 'failure', message: `Exec lifecycle hook ([${argv.join(' ')}]) ${where} failed - error: ${run.output}, message: ""` }
    const code = run.exitCode ?? 128 + (run.signal ?? 0)
    const error = run.timedOut ? `command ${quote(argv.join(' '))} timed out` : `command '${argv.join(' ')}' exited with ${code}: ${run.stderr}`
    return { result: 'failure', message: `Exec lifecycle hook ([${argv.join(' ')}]) ${where} failed - error: ${error}, message: ${quote(run.output)}` }
  }
  if (handler.httpGet !== undefined) {
    const path = handler.httpGet.path ?? ''
    let req
    try {
      req = httpRequestFor(handler.httpGet, ctx.ports, 'lifecycle')
    } catch (err) {
      return { result: 'failure', message: `HTTP lifecycle hook (${path}) ${where} failed - error: ${(err as Error).message}` }
    }
    // kubelet's lifecycle client: no certificate check, kubelet's redirect rule, any status is fine
    const answer = await ctx.prober().http({ ...req, redirects: 'same-host', verifyTls: false }, timeoutMs)
    if (!('error' in answer)) return { result: 'success', message: '' }
    if (req.url.startsWith('https:') && isHttpAnswerToHttps(answer.error)) {
      const plain = { ...req, url: `http:${req.url.slice('https:'.length)}`, headers: req.headers.filter(([n]) => n !== 'Authorization') }
      const retry = await ctx.prober().http({ ...plain, redirects: 'same-host', verifyTls: false }, timeoutMs)
      if (!('error' in retry)) {
        const host = new URL(plain.url).host
        return { result: 'warning', message: `request to HTTPS lifecycle hook ${host} got HTTP response, retry with HTTP succeeded` }
      }
    }
    return { result: 'failure', message: `HTTP lifecycle hook (${path}) ${where} failed - error: ${answer.error}` }
  }
  if ('sleep' in handler && handler.sleep !== undefined) {
    const seconds = handler.sleep.seconds
    const sleepMs = seconds * 1000
    await new Promise<void>((resolve) => ctx.clock.after(Math.min(sleepMs, timeoutMs), resolve))
    if (timeoutMs < sleepMs) {
      return { result: 'failure', message: `Sleep lifecycle hook (${seconds}) ${where} failed - error: container terminated before sleep hook finished` }
    }
    return { result: 'success', message: '' }
  }
  // kubelet runs no tcpSocket hook (the field is accepted by the API only for compatibility)
  return { result: 'failure', message: `Cannot run handler: invalid handler: ${JSON.stringify(handler)}` }
}

/** Go's "server gave HTTP response to HTTPS client"; Node reports a TLS record it cannot parse. */
function isHttpAnswerToHttps(error: string): boolean {
  return /wrong version number|packet length too long|ERR_SSL|EPROTO|http response to https/i.test(error)
}
