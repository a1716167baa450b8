// The gRPC probe's dial as kubelet's grpc.WithBlock makes it: a refused
// connection is tried again with grpc-go's backoff (1 s, ×1.6) until the
// probe's timeout, the backoff passing --time-scale times faster. Against a
// health server on 127.0.0.1 that starts listening only after a while.
import t from 'tap'
import { createServer, type Http2Server } from 'node:http2'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { grpcCheck } from '../../../src/probes/prober-grpc'

/** A grpc.health.v1.Health server that answers SERVING. */
function healthServer(): Http2Server {
  const server = createServer()
  server.on('stream', (stream) => {
    stream.on('data', () => undefined)
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      // HealthCheckResponse{status: SERVING}, length-prefixed
      stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]))
    })
  })
  return server
}

/** A free port on 127.0.0.1 (listened on and closed again). */
async function freePort(): Promise<number> {
  const probe = healthServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

async function checkWhileItStarts(t: { teardown(fn: () => unknown): void }, timeScale: number): Promise<unknown> {
  const port = await freePort()
  const server = healthServer()
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  setTimeout(() => server.listen(port, '127.0.0.1'), 200)
  return grpcCheck({ id: 1, kind: 'grpc', host: '127.0.0.1', port, service: '', userAgent: 'kube-probe/1.33', timeoutMs: 750, timeScale })
}

t.test('scaled 10 times, the backoff is 100 ms: the server that comes up at 200 ms is reached within 750 ms', async (t) => {
  t.match(await checkWhileItStarts(t, 10), { grpcStatus: 0, servingStatus: 1 })
})

t.test('unscaled, the first retry comes after ~1 s: past the timeout, which ends the probe', async (t) => {
  t.same(await checkWhileItStarts(t, 1), { id: 1, error: 'context deadline exceeded' })
})

t.test('a port that speaks something else, or closes at once, is dialed until the timeout, as grpc-go waits for the server preface', async (t) => {
  for (const serve of [(s: Socket) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'), (s: Socket) => s.destroy()]) {
    // read what the client sends (else the socket never ends), and take a reset when it hangs up
    const server = createNetServer((s) => { s.on('error', () => undefined); s.resume(); serve(s) })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => server.close(resolve)))
    const { port } = server.address() as AddressInfo
    const started = Date.now()
    t.same(await grpcCheck({ id: 2, kind: 'grpc', host: '127.0.0.1', port, service: '', userAgent: 'x', timeoutMs: 300, timeScale: 10 }), { id: 2, error: 'context deadline exceeded' })
    t.ok(Date.now() - started >= 250, 'it waited out the timeout')
  }
})
