// The prober's tcpSocket and httpGet checks, run inside the pod's network
// namespace (see prober-main.ts). They report facts (connected, status,
// body, or an error worded as Go's net and net/http word it, since kubelet
// shows that text as the probe output); deciding success is the supervisor's
// job (http-get.ts). Node built-ins only: this file runs as a plain script.
import * as http from 'node:http'
import * as https from 'node:https'
import * as net from 'node:net'
import {
  HTTP_BODY_LIMIT_BYTES, MAX_REDIRECTS, type ErrorResponse, type HttpRequest, type HttpResponse, type TcpRequest, type TcpResponse,
} from './prober-protocol'

/** What Go's syscall errors read like after "connect: " */
const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRNOTAVAIL: 'cannot assign requested address',
  ETIMEDOUT: 'connection timed out',
}

class TimeoutError extends Error {}

/** Go's dial error text: `dial tcp 127.0.0.1:80: connect: connection refused`. */
export function dialErrorText(host: string, port: number, err: NodeJS.ErrnoException): string {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`
  if (err instanceof TimeoutError) return `dial tcp ${addr}: i/o timeout`
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `dial tcp: lookup ${host}: no such host`
  const text = err.code !== undefined ? CONNECT_ERRORS[err.code] : undefined
  return text !== undefined ? `dial tcp ${addr}: connect: ${text}` : `dial tcp ${addr}: ${err.message}`
}

export function tcpCheck(req: TcpRequest): Promise<TcpResponse | ErrorResponse> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: req.host, port: req.port })
    const timer = req.timeoutMs === null ? undefined : setTimeout(() => {
      socket.destroy()
      resolve({ id: req.id, error: dialErrorText(req.host, req.port, new TimeoutError()) })
    }, req.timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ id: req.id, connected: true })
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ id: req.id, error: dialErrorText(req.host, req.port, err) })
    })
  })
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** A relative Location keeps a Host override, as Go's client does; an absolute one drops it. */
function isAbsoluteLocation(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith('//')
}

export async function httpCheck(req: HttpRequest): Promise<HttpResponse | ErrorResponse> {
  const deadline = req.timeoutMs === null ? null : Date.now() + req.timeoutMs
  const first = new URL(req.url)
  let url = first
  let headers = req.headers
  for (let hops = 0; ; hops++) {
    let answer: { status: number; body: string; location: string | undefined }
    try {
      answer = await getOnce(url, headers, req.verifyTls, deadline)
    } catch (err) {
      return { id: req.id, error: `Get "${url.href}": ${requestErrorText(url, err as NodeJS.ErrnoException)}` }
    }
    const { status, body, location } = answer
    if (!REDIRECT_STATUSES.has(status) || location === undefined) return { id: req.id, status, body, url: url.href }
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      return { id: req.id, error: `Get "${url.href}": failed to parse Location header "${location}"` }
    }
    // kubelet's RedirectChecker: another host ends the chain with this 3xx as the answer
    if (req.redirects === 'same-host' && next.hostname !== first.hostname) return { id: req.id, status, body, url: url.href }
    if (hops + 1 >= MAX_REDIRECTS) return { id: req.id, error: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` }
    if (isAbsoluteLocation(location)) headers = headers.filter(([name]) => name.toLowerCase() !== 'host')
    url = next
  }
}

function requestErrorText(url: URL, err: NodeJS.ErrnoException): string {
  if (err instanceof TimeoutError) return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
  if ((err as { isDial?: boolean }).isDial === true) {
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
    return dialErrorText(url.hostname.replace(/^\[|\]$/g, ''), port, err)
  }
  // TLS met a plain-text answer: Go's transport sees "HTTP/" where a TLS record should be
  if (url.protocol === 'https:' && err.code === 'EPROTO' && /wrong version number|packet length too long/.test(err.message)) {
    return 'http: server gave HTTP response to HTTPS client'
  }
  if (err.code === 'ECONNRESET' && err.message === 'socket hang up') return 'EOF'
  if (err.code === 'ECONNRESET') return 'read: connection reset by peer'
  return err.message
}

function getOnce(
  url: URL, headers: [string, string][], verifyTls: boolean, deadline: number | null,
): Promise<{ status: number; body: string; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const outgoing: Record<string, string | string[]> = {}
    for (const [name, value] of headers) {
      const seen = outgoing[name]
      // Node wants one string for Host; repeated headers as an array
      outgoing[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]
    }
    const isHttps = url.protocol === 'https:'
    const options: https.RequestOptions = {
      method: 'GET',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: outgoing,
      // no keep-alive (kubelet's DisableKeepAlives): a fresh connection, "Connection: close"
      agent: false,
      rejectUnauthorized: verifyTls,
      // Go's net/http (kubelet's client) reads header lines ending in a bare LF; llhttp's strict mode refuses them
      insecureHTTPParser: true,
    }
    let isConnected = false
    const request = (isHttps ? https : http).request(options, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      const finish = (): void => {
        clearTimeout(timer)
        res.destroy()
        const location = res.headers.location
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location })
      }
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk.subarray(0, HTTP_BODY_LIMIT_BYTES - size))
        size += Math.min(chunk.length, HTTP_BODY_LIMIT_BYTES - size)
        // as kubelet's ReadAtMost: the rest of the body is never read
        if (size >= HTTP_BODY_LIMIT_BYTES) finish()
      })
      res.on('end', finish)
      res.on('error', finish)
    })
    request.on('socket', (socket) => socket.once('connect', () => (isConnected = true)))
    const timer = deadline === null ? undefined : setTimeout(() => request.destroy(new TimeoutError()), Math.max(0, deadline - Date.now()))
    request.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (!isConnected && !(err instanceof TimeoutError) && err.syscall !== undefined) Object.assign(err, { isDial: true })
      reject(err)
    })
    request.end()
  })
}
