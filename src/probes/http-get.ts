// kubelet's httpGet/tcpSocket/grpc request building and result rules, pure:
// the port (number or a named container port), the URL (formatURL), the
// headers (User-Agent kube-probe/<version> or kube-lifecycle/<version>,
// Accept */* unless overridden, an empty override deleting it, Host from a
// header), and how an answer becomes a probe result (pkg/probe/http,
// pkg/probe/tcp, pkg/probe/grpc). The prober process only does the I/O.
import type { DefaultedContainerPort, DefaultedHTTPGetAction } from '../spec/types'
import type { HttpParams } from './prober-client'
import type { ErrorResponse, GrpcResponse, HttpResponse, TcpResponse } from './prober-protocol'
import { formatGoDuration } from '../go-duration'

/** The Kubernetes version podshim's behaviour follows, as kubelet puts it in its User-Agent. */
export const KUBE_VERSION = '1.33'
/** The pod IP as seen from inside the pod's network namespace: the pod has only loopback. */
export const POD_HOST = '127.0.0.1'

export type ProbeOutcome = 'success' | 'failure' | 'warning' | 'error'

export interface HandlerResult {
  result: ProbeOutcome
  message: string
}

/** probe.ResolveContainerPort: a number, a container port's name, or a number written as text. */
export function resolvePort(port: number | string, ports: readonly DefaultedContainerPort[]): number {
  let value: number
  if (typeof port === 'number') {
    value = port
  } else {
    const named = ports.find((p) => p.name === port)
    if (named !== undefined) value = named.containerPort
    else if (/^[+-]?\d+$/.test(port)) value = Number(port)
    else throw new Error(`resolve port: port "${port}" not found`)
  }
  if (!(value > 0 && value < 65536)) throw new Error(`resolve port: invalid port number: ${value}`)
  return value
}

/** Go's textproto.CanonicalMIMEHeaderKey: "x-custom-header" → "X-Custom-Header". */
export function canonicalHeaderName(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return name
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * kubelet's NewRequestForHTTPGetAction + newProbeRequest. userAgentFragment
 * is "probe" for probes and "lifecycle" for hooks.
 */
export function httpRequestFor(
  action: DefaultedHTTPGetAction, ports: readonly DefaultedContainerPort[], userAgentFragment: 'probe' | 'lifecycle',
): Omit<HttpParams, 'redirects' | 'verifyTls'> {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase()
  const host = action.host !== undefined && action.host !== '' ? action.host : POD_HOST
  const port = resolvePort(action.port, ports)
  const path = action.path ?? ''
  const url = `${scheme}://${joinHostPort(host, port)}${path === '' || path.startsWith('/') ? path : `/${path}`}`
  const values = new Map<string, string[]>()
  for (const { name, value } of action.httpHeaders ?? []) {
    const key = canonicalHeaderName(name)
    values.set(key, [...(values.get(key) ?? []), value])
  }
  if (!values.has('User-Agent')) values.set('User-Agent', [`kube-${userAgentFragment}/${KUBE_VERSION}`])
  if (!values.has('Accept')) values.set('Accept', ['*/*'])
  else if (values.get('Accept')![0] === '') values.delete('Accept')
  const headers: [string, string][] = []
  for (const [name, list] of values) {
    // Go writes the first User-Agent only, none when it is empty; Host becomes req.Host
    if (name === 'User-Agent' || name === 'Host') {
      if (list[0] !== '') headers.push([name, list[0]])
      continue
    }
    for (const value of list) headers.push([name, value])
  }
  return { url, headers }
}

/** pkg/probe/http DoHTTPProbe. */
export function httpProbeResult(answer: HttpResponse | ErrorResponse): HandlerResult {
  if ('error' in answer) return { result: 'failure', message: answer.error }
  if (answer.status >= 200 && answer.status < 400) {
    if (answer.status >= 300) return { result: 'warning', message: `Probe terminated redirects, Response body: ${answer.body}` }
    return { result: 'success', message: answer.body }
  }
  // without the body on purpose, as kubelet (kubernetes issue 99425)
  return { result: 'failure', message: `HTTP probe failed with statuscode: ${answer.status}` }
}

/** pkg/probe/tcp DoTCPProbe. */
export function tcpProbeResult(answer: TcpResponse | ErrorResponse): HandlerResult {
  if ('error' in answer) return { result: 'failure', message: answer.error }
  return { result: 'success', message: '' }
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']
const GRPC_UNIMPLEMENTED = 12
const GRPC_DEADLINE_EXCEEDED = 4


/** pkg/probe/grpc Probe: only SERVING is a success; nothing is a probe error. */
/** grpc-go's codes.Code names, as a status error prints them */
const GRPC_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated',
]

export function grpcProbeResult(answer: GrpcResponse | ErrorResponse, addr: string, timeoutMs: number): HandlerResult {
  if ('error' in answer) {
    if (answer.error === 'context deadline exceeded') {
      return { result: 'failure', message: `timeout: failed to connect service "${addr}" within ${formatGoDuration(timeoutMs)}: context deadline exceeded` }
    }
    return { result: 'failure', message: `error: failed to connect service at "${addr}": ${answer.error}` }
  }
  if (answer.grpcStatus === GRPC_UNIMPLEMENTED) {
    return { result: 'failure', message: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${answer.grpcMessage}` }
  }
  if (answer.grpcStatus === GRPC_DEADLINE_EXCEEDED) {
    return { result: 'failure', message: `timeout: health rpc did not complete within ${formatGoDuration(timeoutMs)}` }
  }
  if (answer.grpcStatus !== 0) {
    return { result: 'failure', message: `error: health rpc probe failed: rpc error: code = ${GRPC_CODE_NAMES[answer.grpcStatus] ?? `Code(${answer.grpcStatus})`} desc = ${answer.grpcMessage}` }
  }
  if (answer.servingStatus !== 1) {
    const name = SERVING_STATUS[answer.servingStatus] ?? String(answer.servingStatus)
    return { result: 'failure', message: `service unhealthy (responded with "${name}")` }
  }
  return { result: 'success', message: 'service healthy' }
}
