// The prober's grpc check: one grpc.health.v1.Health/Check call over
// cleartext HTTP/2 (kubelet dials with insecure credentials), with the
// protobuf messages encoded by hand (HealthCheckRequest{string service = 1},
// HealthCheckResponse{ServingStatus status = 1}), so no gRPC library is
// needed. Node built-ins only: this file runs as a plain script.
import * as http2 from 'node:http2'
import type { ErrorResponse, GrpcRequest, GrpcResponse } from './prober-protocol'
import { dialErrorText } from './prober-net'

const GRPC_DEADLINE_EXCEEDED = 4
const GRPC_INTERNAL = 13
const GRPC_UNAVAILABLE = 14

/** HealthCheckRequest as a length-prefixed gRPC message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const text = Buffer.from(service, 'utf8')
  const body = text.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(text.length), text])
  const frame = Buffer.alloc(5)
  frame.writeUInt8(0, 0)
  frame.writeUInt32BE(body.length, 1)
  return Buffer.concat([frame, body])
}

function varint(n: number): Buffer {
  const bytes: number[] = []
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  bytes.push(n)
  return Buffer.from(bytes)
}

/** HealthCheckResponse.status from a gRPC message stream; 0 (UNKNOWN) when absent. */
export function decodeServingStatus(data: Buffer): number {
  if (data.length < 5) return 0
  const length = data.readUInt32BE(1)
  const body = data.subarray(5, 5 + length)
  let status = 0
  for (let i = 0; i < body.length;) {
    const tag = body[i++]
    const wireType = tag & 7
    let value = 0
    if (wireType === 0) {
      for (let shift = 0; i < body.length; shift += 7) {
        const byte = body[i++]
        value += (byte & 0x7f) * 2 ** shift
        if ((byte & 0x80) === 0) break
      }
      if (tag >> 3 === 1) status = value
    } else if (wireType === 2) {
      let len = 0
      for (let shift = 0; i < body.length; shift += 7) {
        const byte = body[i++]
        len += (byte & 0x7f) * 2 ** shift
        if ((byte & 0x80) === 0) break
      }
      i += len
    } else {
      break
    }
  }
  return status
}

/** grpc-go's connection backoff (DefaultConfig): 1 s, ×1.6 a try, ±20 % jitter, at most 120 s. */
function dialBackoffMs(attempt: number): number {
  return Math.min(1000 * 1.6 ** attempt, 120_000) * (1 + 0.2 * (Math.random() * 2 - 1))
}

/**
 * The check as kubelet dials it, with grpc.WithBlock: a connection that
 * fails is tried again with grpc-go's backoff until the probe's timeout, so
 * a port nobody listens on ends in the timeout (context deadline exceeded),
 * not in the refusal.
 */
export async function grpcCheck(req: GrpcRequest): Promise<GrpcResponse | ErrorResponse> {
  const deadline = req.timeoutMs === null ? Infinity : Date.now() + req.timeoutMs
  for (let attempt = 0; ; attempt++) {
    const left = deadline - Date.now()
    const { answer, isDialError } = await checkOnce({ ...req, timeoutMs: Number.isFinite(left) ? Math.max(0, left) : null })
    if (!isDialError) return answer
    const wait = dialBackoffMs(attempt) / (req.timeScale ?? 1)
    if (wait >= deadline - Date.now()) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())))
      return { id: req.id, error: 'context deadline exceeded' }
    }
    await new Promise((resolve) => setTimeout(resolve, wait))
  }
}

function checkOnce(req: GrpcRequest): Promise<{ answer: GrpcResponse | ErrorResponse; isDialError: boolean }> {
  return new Promise((resolveOnce) => {
    let isDialError = false
    const resolve = (answer: GrpcResponse | ErrorResponse): void => resolveOnce({ answer, isDialError })
    const authority = `${req.host.includes(':') ? `[${req.host}]` : req.host}:${req.port}`
    let isDone = false
    let isConnected = false
    const session = http2.connect(`http://${authority}`)
    const done = (answer: GrpcResponse | ErrorResponse): void => {
      if (isDone) return
      isDone = true
      clearTimeout(timer)
      session.destroy()
      resolve(answer)
    }
    const timer = req.timeoutMs === null ? undefined : setTimeout(() => {
      if (!isConnected) done({ id: req.id, error: 'context deadline exceeded' })
      else done({ id: req.id, grpcStatus: GRPC_DEADLINE_EXCEEDED, grpcMessage: 'context deadline exceeded', servingStatus: 0 })
    }, req.timeoutMs)
    session.on('error', (err: NodeJS.ErrnoException) => {
      isDialError = !isConnected
      done({ id: req.id, error: isConnected ? err.message : dialErrorText(req.host, req.port, err) })
    })
    session.on('close', () => {
      isDialError = !isConnected
      // after the preface, grpc-go's words for a connection gone mid-call
      if (isConnected) done({ id: req.id, grpcStatus: GRPC_UNAVAILABLE, grpcMessage: 'error reading from server: EOF', servingStatus: 0 })
      else done({ id: req.id, error: 'connection closed before the server preface' })
    })
    // grpc-go's transport is ready only with the server's HTTP/2 preface (its SETTINGS): until then the dial goes on,
    // so a server that speaks something else, or closes at once, ends in the dial's timeout as under kubelet
    session.on('remoteSettings', () => (isConnected = true))
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': req.userAgent,
    }
    if (req.timeoutMs !== null) headers['grpc-timeout'] = `${Math.max(1, Math.ceil(req.timeoutMs))}m`
    const stream = session.request(headers)
    const chunks: Buffer[] = []
    let grpcStatus: number | undefined
    let grpcMessage = ''
    const takeStatus = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] === undefined) return
      grpcStatus = Number(h['grpc-status'])
      grpcMessage = decodeURIComponent(String(h['grpc-message'] ?? ''))
    }
    stream.on('response', (h) => {
      const status = Number(h[':status'])
      if (status !== 200) {
        done({ id: req.id, grpcStatus: GRPC_INTERNAL, grpcMessage: `unexpected HTTP status code received from server: ${status}`, servingStatus: 0 })
      }
      takeStatus(h)
    })
    stream.on('trailers', takeStatus)
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      const data = Buffer.concat(chunks)
      if (!isConnected) {
        isDialError = true
        done({ id: req.id, error: 'connection closed before the server preface' })
      } else if (grpcStatus === undefined) {
        done({ id: req.id, grpcStatus: GRPC_INTERNAL, grpcMessage: 'server closed the stream without sending trailers', servingStatus: 0 })
      } else {
        done({ id: req.id, grpcStatus, grpcMessage, servingStatus: grpcStatus === 0 ? decodeServingStatus(data) : 0 })
      }
    })
    stream.on('error', (err: Error) => {
      // a refused connection cancels the pending stream first; its cause is the dial error
      const cause = (err as { cause?: NodeJS.ErrnoException }).cause
      isDialError = !isConnected
      if (isDialError && cause !== undefined) done({ id: req.id, error: dialErrorText(req.host, req.port, cause) })
      else done({ id: req.id, error: err.message })
    })
    stream.end(encodeHealthCheckRequest(req.service))
  })
}
