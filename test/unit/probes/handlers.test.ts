// Request building and result rules (http-get.ts) and runHandler with a fake
// exec and a fake prober: kubelet's words for probes and hooks.
import t from 'tap'
import { FakeClock } from '../../../src/supervisor/clock'
import { canonicalHeaderName, grpcProbeResult, httpProbeResult, httpRequestFor, resolvePort } from '../../../src/probes/http-get'
import { runHandler, type HandlerContext } from '../../../src/probes/handlers'
import type { ExecResult } from '../../../src/probes/exec-in-container'
import type { HttpParams, Prober } from '../../../src/probes/prober-client'
import type { DefaultedContainerPort } from '../../../src/spec/types'

const ports: DefaultedContainerPort[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]

t.test('ports: numbers, names, numbers as text, errors', async (t) => {
  t.equal(resolvePort(80, ports), 80)
  t.equal(resolvePort('http', ports), 8080)
  t.equal(resolvePort('9090', ports), 9090)
  t.throws(() => resolvePort('metrics', ports), { message: 'resolve port: port "metrics" not found' })
  t.throws(() => resolvePort(70000, ports), { message: 'resolve port: invalid port number: 70000' })
})

t.test('http request: URL, default headers, overrides and deletions', async (t) => {
  const base = httpRequestFor({ port: 'http', path: '/healthz', scheme: 'HTTP' }, ports, 'probe')
  t.same(base, { url: 'http://127.0.0.1:8080/healthz', headers: [['User-Agent', 'kube-probe/1.33'], ['Accept', '*/*']] })
  t.equal(httpRequestFor({ port: 443, path: 'x?y=1', scheme: 'HTTPS', host: '::1' }, ports, 'lifecycle').url, 'https://[::1]:443/x?y=1')
  const custom = httpRequestFor({
    port: 80, path: '/', scheme: 'HTTP',
    httpHeaders: [{ name: 'x-custom', value: 'a' }, { name: 'X-Custom', value: 'b' }, { name: 'accept', value: '' }, { name: 'user-agent', value: 'mine' }, { name: 'host', value: 'example.test' }],
  }, ports, 'probe')
  t.same(custom.headers, [['X-Custom', 'a'], ['X-Custom', 'b'], ['User-Agent', 'mine'], ['Host', 'example.test']], 'empty Accept deleted, UA overridden, Host kept')
  const noUa = httpRequestFor({ port: 80, path: '/', scheme: 'HTTP', httpHeaders: [{ name: 'User-Agent', value: '' }] }, ports, 'lifecycle')
  t.same(noUa.headers, [['Accept', '*/*']], 'an empty User-Agent sends none')
  t.equal(httpRequestFor({ port: 80, path: '/', scheme: 'HTTP' }, ports, 'lifecycle').headers[0][1], 'kube-lifecycle/1.33')
  t.equal(canonicalHeaderName('x-forwarded-FOR'), 'X-Forwarded-For')
})

t.test('http results: 2xx success, 3xx warning, others failure without the body', async (t) => {
  const url = 'http://127.0.0.1/'
  t.same(httpProbeResult({ id: 1, status: 200, body: 'fine', url }), { result: 'success', message: 'fine' })
  t.same(httpProbeResult({ id: 1, status: 302, body: 'moved', url }), { result: 'warning', message: 'Probe terminated redirects, Response body: moved' })
  t.same(httpProbeResult({ id: 1, status: 503, body: 'secret', url }), { result: 'failure', message: 'HTTP probe failed with statuscode: 503' })
  t.same(httpProbeResult({ id: 1, error: 'Get "x": EOF' }), { result: 'failure', message: 'Get "x": EOF' })
})

t.test('grpc results: only SERVING succeeds', async (t) => {
  const addr = '127.0.0.1:9000'
  t.equal(grpcProbeResult({ id: 1, grpcStatus: 0, grpcMessage: '', servingStatus: 1 }, addr, 1000).result, 'success')
  t.same(grpcProbeResult({ id: 1, grpcStatus: 0, grpcMessage: '', servingStatus: 2 }, addr, 1000).message, 'service unhealthy (responded with "NOT_SERVING")')
  t.equal(grpcProbeResult({ id: 1, grpcStatus: 12, grpcMessage: 'unknown service', servingStatus: 0 }, addr, 1000).message, 'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service')
  t.equal(grpcProbeResult({ id: 1, grpcStatus: 14, grpcMessage: 'going away', servingStatus: 0 }, addr, 1000).message, 'error: health rpc probe failed: rpc error: code = Unavailable desc = going away', 'the code by its grpc-go name')
  t.equal(grpcProbeResult({ id: 1, grpcStatus: 42, grpcMessage: 'x', servingStatus: 0 }, addr, 1000).message, 'error: health rpc probe failed: rpc error: code = Code(42) desc = x')
  t.same(grpcProbeResult({ id: 1, error: 'context deadline exceeded' }, addr, 1000).message, 'timeout: failed to connect service "127.0.0.1:9000" within 1s: context deadline exceeded')
  t.same(grpcProbeResult({ id: 1, grpcStatus: 4, grpcMessage: '', servingStatus: 0 }, addr, 1000).message, 'timeout: health rpc did not complete within 1s')
  t.same(grpcProbeResult({ id: 1, error: 'dial tcp 127.0.0.1:9000: connect: connection refused' }, addr, 1000), {
    result: 'failure', message: 'error: failed to connect service at "127.0.0.1:9000": dial tcp 127.0.0.1:9000: connect: connection refused',
  })
})

function context(exec: (argv: string[], timeoutMs: number) => ExecResult, http?: (req: HttpParams) => Awaited<ReturnType<Prober['http']>>): HandlerContext & { clock: FakeClock; calls: unknown[] } {
  const calls: unknown[] = []
  const prober = {
    pid: 0,
    http: async (req: HttpParams, timeoutMs: number) => (calls.push(['http', req, timeoutMs]), http!(req)),
    tcp: async (host: string, port: number) => (calls.push(['tcp', host, port]), port === 1 ? { id: 1, error: 'dial tcp 127.0.0.1:1: connect: connection refused' } : { id: 1, connected: true as const }),
    grpc: async () => ({ id: 1, grpcStatus: 0, grpcMessage: '', servingStatus: 1 }),
    close: async () => {},
  }
  return {
    clock: new FakeClock(), calls, containerName: 'app', podLabel: 'web_default(uid-1)', ports,
    env: [{ name: 'GREETING', value: 'hi' }, { name: 'FROM_FIELD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    exec: async (argv, timeoutMs) => (calls.push(['exec', argv, timeoutMs]), exec(argv, timeoutMs)),
    prober: () => prober,
  }
}

const exited = (exitCode: number, output = '', stderr = ''): ExecResult => ({ exitCode, signal: null, output, stderr, timedOut: false })

t.test('exec probe: exit 0 succeeds, output is the message, $(VAR) from static env, timeout fails', async (t) => {
  const ctx = context((argv) => (argv[0] === 'slow' ? { ...exited(0), exitCode: null, signal: 9, timedOut: true } : exited(argv[1] === 'hi' ? 0 : 1, 'out')))
  t.same(await runHandler({ exec: { command: ['echo', '$(GREETING)', '$(FROM_FIELD)'] } }, ctx, 'probe', 1000), { result: 'success', message: 'out' })
  t.same(ctx.calls[0], ['exec', ['echo', 'hi', ''], 1000])
  t.same(await runHandler({ exec: { command: ['false'] } }, ctx, 'probe', 1000), { result: 'failure', message: 'out' })
  t.same(await runHandler({ exec: { command: ['slow', 'x'] } }, ctx, 'probe', 1000), { result: 'failure', message: 'command "slow x" timed out' })
})

t.test('a command that never ran is a probe error (thrown away), but a hook failure', async (t) => {
  const isNotStarted: ExecResult = { exitCode: 127, signal: null, output: 'exec: "nope": executable file not found in $PATH', stderr: '', timedOut: false, isNotStarted: true }
  const ctx = context(() => isNotStarted)
  t.same(await runHandler({ exec: { command: ['nope'] } }, ctx, 'probe', 1000), { result: 'error', message: 'exec: "nope": executable file not found in $PATH' })
  t.match(await runHandler({ exec: { command: ['nope'] } }, ctx, 'hook', 1000), {
    result: 'failure', message: /^Exec lifecycle hook \(\[nope\]\) for Container "[^"]*" in Pod "[^"]*" failed - error: exec: "nope": executable file not found in \$PATH, message: ""$/,
  })
})

t.test('a thrown error is a probe error', async (t) => {
  const ctx = context(() => { throw new Error("ENOENT: no such file or directory, open '/proc/42/ns/ipc'") })
  t.same(await runHandler({ exec: { command: ['true'] } }, ctx, 'probe', 1000), { result: 'error', message: "ENOENT: no such file or directory, open '/proc/42/ns/ipc'" })
  t.equal((await runHandler({ httpGet: { port: 'nope', path: '/', scheme: 'HTTP' } }, ctx, 'probe', 1000)).result, 'error')
})

t.test('tcp and http probes go through the prober with the probe timeout', async (t) => {
  const ctx = context(() => exited(0), () => ({ id: 1, status: 200, body: '', url: '' }))
  t.same(await runHandler({ tcpSocket: { port: 'http' } }, ctx, 'probe', 2000), { result: 'success', message: '' })
  t.same(await runHandler({ tcpSocket: { port: 1 } }, ctx, 'probe', 2000), { result: 'failure', message: 'dial tcp 127.0.0.1:1: connect: connection refused' })
  await runHandler({ httpGet: { port: 80, path: '/', scheme: 'HTTPS' } }, ctx, 'probe', 2000)
  t.same(ctx.calls.at(-1), ['http', { url: 'https://127.0.0.1:80/', headers: [['User-Agent', 'kube-probe/1.33'], ['Accept', '*/*']], redirects: 'same-host', verifyTls: false }, 2000])
})

t.test('hooks: kubelet messages; any HTTP status is fine; sleep on the clock', async (t) => {
  const ctx = context((argv) => exited(argv[0] === 'true' ? 0 : 3, 'o', 'e'), (req) => (req.url.includes(':81') ? { id: 1, error: 'Get "http://127.0.0.1:81/": dial tcp 127.0.0.1:81: connect: connection refused' } : { id: 1, status: 500, body: '', url: '' }))
  t.same(await runHandler({ exec: { command: ['true'] } }, ctx, 'hook', Infinity), { result: 'success', message: '' })
  t.same(await runHandler({ exec: { command: ['sh', '-c', 'exit 3'] } }, ctx, 'hook', Infinity), {
    result: 'failure',
    message: 'Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_default(uid-1)" failed - error: command \'sh -c exit 3\' exited with 3: e, message: "o"',
  })
  t.same(await runHandler({ httpGet: { port: 80, path: '/hook', scheme: 'HTTP' } }, ctx, 'hook', Infinity), { result: 'success', message: '' })
  t.same(await runHandler({ httpGet: { port: 81, path: '/hook', scheme: 'HTTP' } }, ctx, 'hook', Infinity), {
    result: 'failure',
    message: 'HTTP lifecycle hook (/hook) for Container "app" in Pod "web_default(uid-1)" failed - error: Get "http://127.0.0.1:81/": dial tcp 127.0.0.1:81: connect: connection refused',
  })
  const slept = runHandler({ sleep: { seconds: 5 } }, ctx, 'hook', Infinity)
  let isDone = false
  void slept.then(() => (isDone = true))
  ctx.clock.advance(4999)
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(isDone, 'still sleeping at 4.999 s')
  ctx.clock.advance(1)
  t.same(await slept, { result: 'success', message: '' })
  const cut = runHandler({ sleep: { seconds: 5 } }, ctx, 'hook', 2000)
  ctx.clock.advance(2000)
  t.match(await cut, { result: 'failure', message: /container terminated before sleep hook finished/ })
  t.match(await runHandler({ tcpSocket: { port: 80 } }, ctx, 'hook', Infinity), { result: 'failure', message: /^Cannot run handler: invalid handler/ })
})
