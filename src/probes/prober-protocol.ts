// The messages between the supervisor (prober-client.ts) and the prober
// process (prober-main.ts): one JSON object per line, a request on the
// prober's stdin, its response with the same id on its stdout. Types only,
// so the prober script imports nothing at run time.

/** Which redirects an HTTP request follows (kubelet probes: same host only; hooks: Go's default client). */
export type RedirectPolicy = 'same-host' | 'any-host'

export interface TcpRequest {
  id: number
  kind: 'tcp'
  host: string
  port: number
  /** real milliseconds; null = no timeout */
  timeoutMs: number | null
}

export interface HttpRequest {
  id: number
  kind: 'http'
  /** absolute URL, as kubelet's formatURL builds it */
  url: string
  /** final header list (name, value), duplicates allowed; no Host entry unless overridden */
  headers: [string, string][]
  redirects: RedirectPolicy
  /** verify the server certificate (probes: no, as kubelet's InsecureSkipVerify) */
  verifyTls: boolean
  timeoutMs: number | null
}

export interface GrpcRequest {
  id: number
  kind: 'grpc'
  host: string
  port: number
  service: string
  userAgent: string
  timeoutMs: number | null
  /** --time-scale: the dial backoff (kubelet time) passes this many times faster, as the timeout does */
  timeScale?: number
}

export type ProberRequest = TcpRequest | HttpRequest | GrpcRequest

/** A transport-level failure, worded as Go's net/http and net errors are (kubelet shows them as the probe output). */
export interface ErrorResponse {
  id: number
  error: string
}

export interface TcpResponse {
  id: number
  connected: true
}

export interface HttpResponse {
  id: number
  /** status of the last response (a redirect that was not followed included) */
  status: number
  /** the first 10 KiB of its body */
  body: string
  /** the URL that answered last */
  url: string
}

export interface GrpcResponse {
  id: number
  /** grpc-status of the call (0 = OK) */
  grpcStatus: number
  grpcMessage: string
  /** HealthCheckResponse.status when grpcStatus is 0 (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN) */
  servingStatus: number
}

export type ProberResponse = ErrorResponse | TcpResponse | HttpResponse | GrpcResponse

/** The first 10 KiB of a response body is all kubelet reads (maxRespBodyLength). */
export const HTTP_BODY_LIMIT_BYTES = 10 * 1024
/** Go's http.Client stops after 10 requests in a redirect chain. */
export const MAX_REDIRECTS = 10
