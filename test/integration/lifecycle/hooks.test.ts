// postStart and preStop hooks (node e2e "Container Lifecycle Hook"): exec and
// httpGet, with effects the test can see (a file the main process reads, an
// HTTP server in a sidecar that logs the request, an emptyDir a sidecar
// reads); preStop time counts against the grace period; a failing postStart
// gives FailedPostStartHook and the container is killed and restarted.
import t from 'tap'
import { IS_ROOT, containerLines, containerStatus, eventsOf, parseEvents, podEnv, podManifest, scaled, shContainer, stop, waitMs, waitS } from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

// a sidecar HTTP server (python3 http.server logs each request on stderr) serving /poststart and /prestop with 200;
// its startupProbe holds the app back until it listens
const HTTP_SIDECAR = {
  ...shContainer('server', 'mkdir -p /tmp/www && cd /tmp/www && touch poststart prestop && exec python3 -u -m http.server 8080 --bind 127.0.0.1'),
  restartPolicy: 'Always',
  startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 100, timeoutSeconds: 10 },
}

t.test('postStart exec writes a file the main process reads', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('poststart-exec', [shContainer('app',
    `for i in $(seq 100); do if [ -s /tmp/poststart ]; then echo "saw $(cat /tmp/poststart)"; exit 0; fi; sleep ${waitS(0.05)}; done; echo "no hook"; exit 1`,
    { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hello-from-poststart > /tmp/poststart'] } } } })]), scaled(20))
  t.equal(r.code, 0, 'the main process saw the file', { stderr: r.stderr })
  t.same(containerLines(r.stderr, 'app'), ['saw hello-from-poststart'])
  t.equal(r.status?.phase, 'Succeeded')
})

t.test('postStart exec runs in every instance of a restarted container', async (t) => {
  const env = podEnv(t)
  // instances 1 and 2 fail once they saw their hook's file, the third succeeds; /count (an emptyDir) outlives them
  const script = `n=$(( $(cat /count/n 2>/dev/null || echo 0) + 1 )); echo $n > /count/n
for i in $(seq 100); do if [ -s /tmp/poststart ]; then echo "instance $n saw $(cat /tmp/poststart)"; [ $n -ge 3 ]; exit $?; fi; sleep ${waitS(0.05)}; done; echo "instance $n: no hook"; exit 2`
  const r = await env.run(podManifest('poststart-restarts', [shContainer('app', script, {
    lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hook-$$ > /tmp/poststart'] } } },
    volumeMounts: [{ name: 'count', mountPath: '/count' }],
  })], { restartPolicy: 'OnFailure', volumes: [{ name: 'count', emptyDir: {} }] }), scaled(200))
  t.equal(r.code, 0, 'the third instance succeeded', { stderr: r.stderr })
  t.match(containerLines(r.stderr, 'app'), [/^instance 1 saw hook-\d+$/, /^instance 2 saw hook-\d+$/, /^instance 3 saw hook-\d+$/])
  t.notMatch(r.stderr, /FailedPostStartHook/, 'no hook failed')
  t.equal(containerStatus(r.status, 'app')?.restartCount, 2)
})

t.test('postStart and preStop httpGet reach an HTTP server inside the pod', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('hooks-http', [shContainer('app', 'echo up; exec sleep 1000', {
    lifecycle: { postStart: { httpGet: { path: '/poststart', port: 8080 } }, preStop: { httpGet: { path: '/prestop', port: 8080 } } },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 20, initContainers: [HTTP_SIDECAR] }), scaled(10))
  await pod.waitFor(/"GET \/poststart HTTP\/1\.1" 200/, 10_000)
  const r = await stop(pod)
  t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
  const lines = containerLines(r.stderr, 'server')
  const post = lines.findIndex((l) => /"GET \/poststart HTTP\/1\.1" 200/.test(l))
  const pre = lines.findIndex((l) => /"GET \/prestop HTTP\/1\.1" 200/.test(l))
  t.ok(post >= 0, 'the postStart request reached the server')
  t.ok(pre > post, 'the preStop request reached it on the stop, after the postStart one')
  t.same(eventsOf(parseEvents(r.stderr), 'app').filter((e) => /Failed/.test(e.reason)), [], 'no hook failure event')
  t.match(containerStatus(r.status, 'app'), { restartCount: 0, state: { terminated: { exitCode: 143 } } }, 'TERM after the hook; not restarted by postStart')
})

t.test('preStop exec writes to an emptyDir a sidecar reads', async (t) => {
  const env = podEnv(t)
  const mount = { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }
  const pod = env.start(podManifest('prestop-exec', [shContainer('app', 'echo up; exec sleep 1000', {
    ...mount, lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye-from-prestop > /shared/prestop'] } } },
  })], {
    restartPolicy: 'Always', terminationGracePeriodSeconds: 20, volumes: [{ name: 'shared', emptyDir: {} }],
    initContainers: [{ ...shContainer('reader', 'trap \'echo "read: $(cat /shared/prestop 2>/dev/null)"; exit 0\' TERM; echo reader up; sleep 1000 & wait', mount), restartPolicy: 'Always' }],
  }), scaled(10))
  await pod.waitFor(/app +\| up/)
  const r = await stop(pod)
  t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
  t.same(containerLines(r.stderr, 'reader').filter((l) => l.startsWith('read:')), ['read: bye-from-prestop'], 'the sidecar, stopped after the app, read what preStop wrote')
})

// hookMs: the hook's own length (real ms at scale 10): a sleep action may not exceed the grace period, an exec one far outlasts it
for (const variant of [
  { name: 'sleep action', preStop: { sleep: { seconds: 30 } }, hookMs: 3000 },
  { name: 'exec sleep', preStop: { exec: { command: ['sleep', waitS(20)] } }, hookMs: 20_000 },
]) {
  t.test(`preStop time counts against the grace period (${variant.name}): killed at G, not G + N`, async (t) => {
    const env = podEnv(t)
    // scale 10: grace 40 s = 4 s real; the hook takes 30 s (3 s real) or 20 s real (200 s, far more than the grace); all times waitMs() in the VM
    const pod = env.start(podManifest('prestop-grace', [shContainer('app', 'trap "echo got TERM" TERM; echo up; while :; do sleep 0.1; done', {
      lifecycle: { preStop: variant.preStop },
    })], { terminationGracePeriodSeconds: 40 }), scaled(10))
    await pod.waitFor(/app +\| up/)
    const sent = Date.now()
    const r = await stop(pod)
    const elapsed = Date.now() - sent
    // G = 4 s; the exec variant's hook is cut at G, then kubelet's 2 s minimum (0.2 s); the bound is half-way to G + N
    t.ok(elapsed >= waitMs(3800), `not killed before the grace period (${elapsed} ms, G = ${waitMs(4000)} ms)`)
    t.ok(elapsed < waitMs(4000 + variant.hookMs / 2), `killed at the grace period, not grace + hook (${elapsed} ms, G + N would be ${waitMs(4000 + variant.hookMs)}+)`)
    t.match(containerStatus(r.status, 'app')?.state, { terminated: { exitCode: 137 } }, 'SIGKILLed at the end of the grace period')
    if (variant.name === 'sleep action') t.ok(containerLines(r.stderr, 'app').includes('got TERM'), 'TERM came after the hook, before the KILL')
  })
}

t.test('a failing postStart: FailedPostStartHook, the container is killed and restarted', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('poststart-fail', [shContainer('app', 'echo up; exec sleep 1000', {
    lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hook broke; exit 7'] } } },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(20))
  await pod.waitFor(/FailedPostStartHook[^\n]*\n(?:.*\n)*.*Started +spec\.containers\{app\}/, 10_000)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  const failed = eventsOf(events, 'app', 'FailedPostStartHook')
  t.ok(failed.length >= 1, 'a FailedPostStartHook event')
  t.match(failed[0], { type: 'Warning' })
  t.ok(eventsOf(events, 'app', 'Killing').length >= 1, 'a Killing event')
  const s = containerStatus(r.status, 'app')
  t.ok(s?.restartCount >= 1, `restarted (restartCount ${s?.restartCount})`)
  t.match(s?.lastState, { terminated: { exitCode: 143 } }, 'the killed instance is lastState')
})

t.test('a failing postStart uses kubelet\'s words: FailedPostStartHook "PostStartHook failed", Killing "FailedPostStartHook"', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('poststart-words', [shContainer('app', 'echo up; exec sleep 1000', {
    lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo secret-ish output; exit 7'] } } },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(20))
  await pod.waitFor(/FailedPostStartHook[^\n]*\n(?:.*\n)*.*Killing +spec\.containers\{app\}/, 10_000)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  t.match(eventsOf(events, 'app', 'FailedPostStartHook')[0], { type: 'Warning', message: 'PostStartHook failed' })
  t.match(eventsOf(events, 'app', 'Killing')[0], { type: 'Normal', message: 'FailedPostStartHook' })
})

t.test('postStart blocks the start: the next container starts only once the hook returned', async (t) => {
  // kubelet's SyncPod starts the app containers one at a time, each startContainer including its postStart
  // (what istio's holdApplicationUntilProxyStarts relies on): the hook's file is there when `second` starts
  const env = podEnv(t)
  const mount = { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }
  const r = await env.run(podManifest('poststart-order', [
    shContainer('first', `echo up; for i in $(seq 200); do [ -f /shared/second-done ] && exit 0; sleep ${waitS(0.05)}; done; exit 1`, {
      ...mount, lifecycle: { postStart: { exec: { command: ['sh', '-c', `sleep ${waitS(0.5)}; echo hook-done > /shared/hook`] } } },
    }),
    shContainer('second', 'echo "saw: $(cat /shared/hook 2>/dev/null)"; touch /shared/second-done', mount),
  ], { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, volumes: [{ name: 'shared', emptyDir: {} }] }), scaled(20))
  t.same(containerLines(r.stderr, 'second'), ['saw: hook-done'], 'second started after first\'s postStart', { stderr: r.stderr })
  const events = parseEvents(r.stderr)
  const firstStarted = eventsOf(events, 'first', 'Started')[0]
  const secondStarted = eventsOf(events, 'second', 'Started')[0]
  t.ok(firstStarted !== undefined && secondStarted !== undefined && secondStarted.ms >= firstStarted.ms, 'Started events in spec order')
})
