// The prober process in a fresh network namespace (a `sleep` with
// CLONE_NEWNET and lo up), against an HTTP and a gRPC health server started
// in that namespace: tcp open vs refused, status codes, headers, kubelet's
// redirect rule, timeouts, and that the host's loopback is not what it sees.
import { createServer, type Server } from 'node:http'
import { Socket } from 'node:net'
import { closeSync, openSync, statSync } from 'node:fs'
import t from 'tap'
import { nativeApi } from '../../../src/native/addon'
import { CLONE_NEWNET, PlanOpCode } from '../../../src/native/contract'
import { systemClock } from '../../../src/supervisor/clock'
import { startProber, type Prober } from '../../../src/probes/prober-client'
import { httpRequestFor, httpProbeResult, grpcProbeResult } from '../../../src/probes/http-get'
import { runHandler, type HandlerContext } from '../../../src/probes/handlers'
import { execve, plan, spawnChild } from '../native/fixtures/helpers'
import { waitMs } from '../pod/fixtures/helpers'

const HTTP_PORT = 8080
const GRPC_PORT = 9000
/** a raw server answering with bare-LF header lines, as busybox httpd's CGI output does */
const LF_PORT = 8081

// run inside the namespace by `node -e`: an HTTP server with test routes and a gRPC health server
const SERVERS = `
const http = require('node:http'), http2 = require('node:http2')
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x'), p = u.pathname
  if (p === '/ok') return res.end('fine')
  if (p.startsWith('/status/')) { res.statusCode = Number(p.slice(8)); return res.end('body that must not show') }
  if (p === '/headers') return res.end(JSON.stringify(req.headers))
  if (p === '/same') { res.writeHead(302, { location: '/ok' }); return res.end() }
  if (p === '/other') { res.writeHead(302, { location: 'http://localhost:${HTTP_PORT}/ok' }); return res.end('moved') }
  if (p === '/loop') { res.writeHead(302, { location: '/loop?n=' + (Number(u.searchParams.get('n') || 0) + 1) }); return res.end() }
  if (p === '/slow') return
  res.statusCode = 404; res.end()
}).listen(${HTTP_PORT}, '127.0.0.1', () => {
  const g = http2.createServer()
  g.on('stream', (stream, headers) => {
    let data = Buffer.alloc(0)
    stream.on('data', (c) => { data = Buffer.concat([data, c]) })
    stream.on('end', () => {
      const service = data.length > 7 ? data.subarray(7).toString() : ''
      if (service === 'missing') { stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown service' }, { endStream: true }); return }
      const status = service === 'down' ? 2 : 1
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.from([0, 0, 0, 0, 2, 8, status]))
    })
  })
  g.listen(${GRPC_PORT}, '127.0.0.1', () => {
    require('node:net').createServer((c) => {
      c.once('data', () => c.end('HTTP/1.0 200 OK\\nContent-Type: text/plain\\n\\nlf ok\\n'))
    }).listen(${LF_PORT}, '127.0.0.1', () => process.stdout.write('ready\\n'))
  })
})
`

t.test('the prober in a pod network namespace', async (t) => {
  const clock = systemClock()
  const holder = spawnChild(t, plan([
    { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: process.pid },
    { op: PlanOpCode.LoopbackUp },
    { op: PlanOpCode.CloseFrom, fd: 3 },
    execve('/bin/sleep', ['sleep', '1000']),
  ], { cloneFlags: CLONE_NEWNET }))
  const netFd = openSync(`/proc/${holder.pid}/ns/net`, 'r')
  t.teardown(() => closeSync(netFd))

  const [readFd, writeFd] = nativeApi.pipe()
  try {
    spawnChild(t, plan([
      { op: PlanOpCode.Setns, fd: netFd, nstype: CLONE_NEWNET },
      { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: process.pid },
      { op: PlanOpCode.Dup2, fd: writeFd, target: 1 },
      { op: PlanOpCode.CloseFrom, fd: 3 },
      execve(process.execPath, ['node', '-e', SERVERS], []),
    ]))
  } finally {
    nativeApi.close(writeFd)
  }
  const out = new Socket({ fd: readFd, readable: true, writable: false })
  t.teardown(() => { out.destroy() })
  await new Promise<void>((resolve, reject) => {
    out.once('data', () => resolve())
    out.once('end', () => reject(new Error('start servers: exited before listening')))
  })

  // a server on the host's loopback on the same port: the prober must not reach it
  const hostServer: Server = createServer((_, res) => res.end('host'))
  await new Promise<void>((resolve) => hostServer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { hostServer.close() })
  const hostPort = (hostServer.address() as { port: number }).port

  const prober: Prober = startProber(nativeApi, netFd, { clock })
  t.teardown(() => prober.close())
  t.equal(prober.pid, 0, 'started lazily')

  const get = async (path: string, timeoutMs = waitMs(2000), headers?: { name: string; value: string }[]): ReturnType<Prober['http']> => {
    const req = httpRequestFor({ port: HTTP_PORT, path, scheme: 'HTTP', httpHeaders: headers }, [], 'probe')
    return prober.http({ ...req, redirects: 'same-host', verifyTls: false }, timeoutMs)
  }

  t.test('tcp: open, refused, and not the host loopback', async (t) => {
    t.same(await prober.tcp('127.0.0.1', HTTP_PORT, waitMs(1000)), { id: 1, connected: true })
    t.ok(prober.pid > 0, 'the prober runs now')
    t.equal(statSync(`/proc/${prober.pid}/ns/net`).ino, statSync(`/proc/${holder.pid}/ns/net`).ino, 'in the pod\'s network namespace')
    t.match(await prober.tcp('127.0.0.1', 1, waitMs(1000)), { error: 'dial tcp 127.0.0.1:1: connect: connection refused' })
    t.match(await prober.tcp('127.0.0.1', hostPort, waitMs(1000)), { error: /connection refused/ }, 'the host\'s loopback server is invisible')
  })

  t.test('http: status codes and the body rule', async (t) => {
    t.same(httpProbeResult(await get('/ok')), { result: 'success', message: 'fine' })
    t.same(httpProbeResult(await get('/status/399')), { result: 'warning', message: 'Probe terminated redirects, Response body: body that must not show' })
    t.same(httpProbeResult(await get('/status/500')), { result: 'failure', message: 'HTTP probe failed with statuscode: 500' })
    t.same(httpProbeResult(await get('/status/404')), { result: 'failure', message: 'HTTP probe failed with statuscode: 404' })
  })

  t.test('http: header lines ending in a bare LF are read, as Go\'s net/http reads them', async (t) => {
    const req = httpRequestFor({ port: LF_PORT, path: '/', scheme: 'HTTP' }, [], 'probe')
    t.same(httpProbeResult(await prober.http({ ...req, redirects: 'same-host', verifyTls: false }, waitMs(2000))), { result: 'success', message: 'lf ok\n' })
  })

  t.test('http: kubelet headers, overrides, no keep-alive', async (t) => {
    const sent = JSON.parse((await get('/headers') as { body: string }).body) as Record<string, string>
    t.match(sent, { 'user-agent': 'kube-probe/1.33', accept: '*/*', connection: 'close', host: `127.0.0.1:${HTTP_PORT}` })
    const custom = JSON.parse((await get('/headers', waitMs(2000), [
      { name: 'X-Custom', value: 'yes' }, { name: 'Accept', value: '' }, { name: 'Host', value: 'app.example' },
    ]) as { body: string }).body) as Record<string, string>
    t.match(custom, { 'x-custom': 'yes', host: 'app.example', 'user-agent': 'kube-probe/1.33' })
    t.notOk('accept' in custom, 'an empty Accept removes the header')
  })

  t.test('http: redirects', async (t) => {
    t.same(httpProbeResult(await get('/same')), { result: 'success', message: 'fine' }, 'same host: followed')
    t.same(httpProbeResult(await get('/other')), { result: 'warning', message: 'Probe terminated redirects, Response body: moved' }, 'other host: the 3xx itself')
    t.same(await get('/loop'), { id: (await get('/ok') as { id: number }).id - 1, error: `Get "http://127.0.0.1:${HTTP_PORT}/loop?n=10": stopped after 10 redirects` })
  })

  t.test('https to a plain HTTP server: Go\'s words for it, not OpenSSL\'s', async (t) => {
    const req = httpRequestFor({ port: HTTP_PORT, path: '/ok', scheme: 'HTTPS' }, [], 'probe')
    t.same(await prober.http({ ...req, redirects: 'same-host', verifyTls: false }, waitMs(2000)), {
      id: (await get('/ok') as { id: number }).id - 1, error: `Get "https://127.0.0.1:${HTTP_PORT}/ok": http: server gave HTTP response to HTTPS client`,
    })
  })

  t.test('http: timeout and refused', async (t) => {
    const started = Date.now()
    t.match(await get('/slow', 300), { error: `Get "http://127.0.0.1:${HTTP_PORT}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` })
    // /slow never answers: the error above says the timeout ended it; this only guards against a hang
    t.ok(Date.now() - started < waitMs(10_000))
    const req = httpRequestFor({ port: 1, path: '/', scheme: 'HTTP' }, [], 'probe')
    t.match(await prober.http({ ...req, redirects: 'same-host', verifyTls: false }, waitMs(1000)), { error: 'Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused' })
  })

  t.test('grpc health', async (t) => {
    const check = async (service: string): Promise<string> => grpcProbeResult(
      await prober.grpc({ host: '127.0.0.1', port: GRPC_PORT, service, userAgent: 'kube-probe/1.33' }, waitMs(2000)), `127.0.0.1:${GRPC_PORT}`, waitMs(2000),
    ).message
    t.equal(await check(''), 'service healthy')
    t.equal(await check('down'), 'service unhealthy (responded with "NOT_SERVING")')
    t.match(await check('missing'), /does not implement the grpc health protocol/)
    // as kubelet's grpc.WithBlock: a refused connection is dialed again until the timeout, which then ends the probe
    const started = Date.now()
    t.match(await prober.grpc({ host: '127.0.0.1', port: 1, service: '', userAgent: 'x' }, 500), { error: 'context deadline exceeded' })
    t.ok(Date.now() - started >= 450, `it waited out the timeout (${Date.now() - started} ms)`)
  })

  t.test('runHandler through the prober, and a dead prober is restarted on demand', async (t) => {
    const ctx: HandlerContext = {
      clock, containerName: 'app', podLabel: 'p_default(u)', ports: [{ name: 'web', containerPort: HTTP_PORT, protocol: 'TCP' }], env: [],
      exec: () => Promise.reject(new Error('no exec here')), prober: () => prober,
    }
    t.same(await runHandler({ httpGet: { port: 'web', path: '/ok', scheme: 'HTTP' } }, ctx, 'probe', waitMs(1000)), { result: 'success', message: 'fine' })
    const first = prober.pid
    // our own child, by its pid
    process.kill(first, 'SIGKILL')
    t.same(await runHandler({ tcpSocket: { port: 'web' } }, ctx, 'probe', waitMs(1000)), { result: 'success', message: '' })
    t.not(prober.pid, first, 'a new prober process')
  })
})
