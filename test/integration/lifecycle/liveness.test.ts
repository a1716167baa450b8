// Liveness probes (node e2e "Probing container"): exec, httpGet and
// tcpSocket against the pod's own network namespace. A failing probe
// restarts the container (Unhealthy + Killing "Container X failed liveness
// probe, will be restarted", restartCount > 0, lastState kept); a healthy
// one keeps restartCount 0 over many periods; an exec probe that outlives
// timeoutSeconds fails; a probe-level terminationGracePeriodSeconds
// replaces the pod's for the kill. Time scale 20: a 2 s period is 100 ms.
import t, { type Test } from 'tap'
import {
  IS_ROOT, containerLines, containerStatus, eventsOf, parseEvents, pause, podEnv, podManifest, scaled, shContainer, stop, waitMs, waitS, type Json, type RunResult,
} from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const SCALE = 20
// timeoutSeconds 10 (0.5 s real): kubelet's 1 s would be 50 ms here, short for a python server under load
const FAST = { initialDelaySeconds: 1, periodSeconds: 2, failureThreshold: 1, timeoutSeconds: 10 }
const KILLED = (name: string): RegExp => new RegExp(`Killing +spec\\.containers\\{${name}\\}: Container ${name} failed liveness probe, will be restarted`)

// python3 http.server logs each request on stderr; the listing of a dir is 200, a missing file 404
const HTTP_SERVER = 'mkdir -p /tmp/www && cd /tmp/www && echo ok > healthz && python3 -u -m http.server 8080 --bind 127.0.0.1'
// a TCP server that prints one line per accepted connection
const TCP_SERVER = `python3 -u -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8081)); s.listen(64)
while True:
    c, _ = s.accept(); print("conn", flush=True); c.close()
'`

const cases: Array<{ kind: string; probe: Json; healthy: string; unhealthy: string; proof: RegExp }> = [
  {
    kind: 'exec',
    probe: { exec: { command: ['sh', '-c', 'echo x >> /tmp/probes; cat /tmp/health'] } },
    healthy: 'touch /tmp/health; trap \'echo probes=$(wc -l < /tmp/probes); exit 0\' TERM; echo up; sleep 1000 & wait',
    unhealthy: `touch /tmp/health; echo up; sleep ${waitS(0.5)}; rm /tmp/health; echo unhealthy now; exec sleep 1000`,
    proof: /^probes=(\d+)$/,
  },
  {
    kind: 'httpGet',
    probe: { httpGet: { path: '/healthz', port: 8080 } },
    healthy: `${HTTP_SERVER} & echo up; wait`,
    unhealthy: `${HTTP_SERVER} & echo up; sleep ${waitS(1.5)}; rm /tmp/www/healthz; echo unhealthy now; wait`,
    proof: /"GET \/healthz HTTP\/1\.1" 200/,
  },
  {
    kind: 'tcpSocket',
    probe: { tcpSocket: { port: 8081 } },
    healthy: `${TCP_SERVER} & echo up; wait`,
    unhealthy: `${TCP_SERVER} & P=$!; echo up; sleep ${waitS(1.5)}; kill $P; echo unhealthy now; exec sleep 1000`,
    proof: /^conn$/,
  },
]

/**
 * A pod whose container `web` has the liveness probe; a startupProbe with the
 * same handler holds it back until the payload serves (a python server can
 * take longer to listen than a scaled initialDelaySeconds).
 */
function livenessPod(name: string, script: string, probe: Json, extra: Json = {}): Json {
  const { exec, httpGet, tcpSocket } = probe as Record<string, unknown>
  const startupProbe = { exec, httpGet, tcpSocket, periodSeconds: 1, failureThreshold: 100, timeoutSeconds: 10 }
  return podManifest(name, [shContainer('web', script, { startupProbe, livenessProbe: { ...FAST, ...probe } })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2, ...extra })
}

function assertRestarted(t: Test, r: RunResult, pattern: RegExp): void {
  const events = parseEvents(r.stderr)
  const s = containerStatus(r.status, 'web')
  t.ok(s?.restartCount >= 1, `restartCount ${s?.restartCount} > 0`)
  t.match(s?.lastState, { terminated: { reason: 'Error' } }, 'the killed instance is kept as lastState')
  const unhealthy = eventsOf(events, 'web', 'Unhealthy')
  t.ok(unhealthy.length >= 1, 'an Unhealthy event')
  t.ok(unhealthy.some((e) => e.type === 'Warning' && pattern.test(e.message)), `an Unhealthy Warning matches ${pattern}`, { found: unhealthy.map((e) => e.message) })
  const killing = eventsOf(events, 'web', 'Killing')[0]
  t.match(killing, { type: 'Normal', message: 'Container web failed liveness probe, will be restarted' }, 'kubelet\'s Killing message')
  const starts = eventsOf(events, 'web', 'Started')
  t.ok(starts.length >= 2 && killing !== undefined && starts[1].ms >= killing.ms, 'started again after the kill')
}

for (const c of cases) {
  t.test(`liveness ${c.kind}: a failing probe restarts the container`, async (t) => {
    const env = podEnv(t)
    const pod = env.start(livenessPod(`live-${c.kind.toLowerCase()}-fail`, c.unhealthy, c.probe), scaled(SCALE))
    await pod.waitFor(KILLED('web'), 10_000)
    await pod.waitFor(/web +\| up\n(?:.*\n)*web +\| up\n/, 10_000)
    const r = await stop(pod)
    t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
    const failed = c.kind === 'exec' ? /^Liveness probe failed: / : c.kind === 'httpGet' ? /^Liveness probe failed: HTTP probe failed with statuscode: 404$/ : /^Liveness probe failed: dial tcp 127\.0\.0\.1:8081: connect: connection refused$/
    assertRestarted(t, r, failed)
    t.ok(containerLines(r.stderr, 'web').filter((l) => l === 'up').length >= 2, 'the payload ran again')
  })

  t.test(`liveness ${c.kind}: a healthy probe keeps restartCount 0 over many periods`, async (t) => {
    const env = podEnv(t)
    const pod = env.start(livenessPod(`live-${c.kind.toLowerCase()}-ok`, c.healthy, c.probe), scaled(SCALE))
    await pod.waitFor(/web +\| up/)
    // from the first probe the server answered (python can be slow to listen under load)
    if (c.kind !== 'exec') await pod.waitFor(new RegExp(`web +\\| .*${c.proof.source.replace(/^\^|\$$/g, '')}`), 10_000)
    // 1.5 s at scale 20 = 30 s: 15 periods
    await pause(1500)
    const r = await stop(pod)
    t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
    const events = parseEvents(r.stderr)
    t.same(eventsOf(events, 'web', 'Unhealthy').filter((e) => /^Liveness/.test(e.message)), [], 'no liveness Unhealthy event (the startup probe may fail while the server starts)')
    t.same(eventsOf(events, 'web', 'Killing').filter((e) => /liveness/.test(e.message)), [], 'never killed for liveness')
    t.equal(containerStatus(r.status, 'web')?.restartCount, 0, 'restartCount 0')
    t.equal(eventsOf(events, 'web', 'Started').length, 1, 'started once')
    const lines = containerLines(r.stderr, 'web')
    const proofs = c.kind === 'exec'
      ? Number(lines.map((l) => c.proof.exec(l)?.[1]).find((n) => n !== undefined) ?? 0)
      : lines.filter((l) => c.proof.test(l)).length
    t.ok(proofs >= 5, `the probe did run, many times (${proofs})`, { output: lines })
  })
}

t.test('liveness exec: a probe that outlives timeoutSeconds fails and restarts the container', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('live-timeout', [shContainer('web', 'echo up; exec sleep 1000', {
    livenessProbe: { ...FAST, exec: { command: ['sleep', '10'] }, timeoutSeconds: 1 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(KILLED('web'), 10_000)
  await pod.waitFor(/Started +spec\.containers\{web\}[^\n]*\n(?:.*\n)*.*Started +spec\.containers\{web\}/, 10_000)
  const r = await stop(pod)
  assertRestarted(t, r, /^Liveness probe failed: command "sleep 10" timed out$/)
})

t.test('liveness exec: a command that cannot run errors, and the error never restarts the container (kubernetes#106682)', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('live-not-run', [shContainer('web', 'echo up; exec sleep 1000', {
    livenessProbe: { ...FAST, exec: { command: ['/bin/no-such-probe'] } },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/Unhealthy +spec\.containers\{web\}: Liveness probe errored[^\n]*\n(?:.*\n)*.*Liveness probe errored[^\n]*\n(?:.*\n)*.*Liveness probe errored/, 10_000)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  t.match(eventsOf(events, 'web', 'Unhealthy')[0], { type: 'Warning', message: /^Liveness probe errored and resulted in unknown state: exec: ENOENT: no such file or directory, execve '\/bin\/no-such-probe'$/ })
  t.same(eventsOf(events, 'web', 'Unhealthy').filter((e) => /probe failed/.test(e.message)), [], 'never a failure')
  t.same(eventsOf(events, 'web', 'Killing').filter((e) => /liveness/.test(e.message)), [], 'never killed for it')
  t.equal(containerStatus(r.status, 'web')?.restartCount, 0)
})

t.test('liveness: the probe-level terminationGracePeriodSeconds replaces the pod\'s for the kill', async (t) => {
  const env = podEnv(t)
  // pod grace 600 s = 60 s real at scale 10; the probe's 10 s = 1 s real
  const pod = env.start(podManifest('live-grace', [shContainer('web', `trap "" TERM; echo up; sleep ${waitS(0.3)}; rm -f /tmp/health; sleep 1000`, {
    livenessProbe: { ...FAST, exec: { command: ['cat', '/tmp/health'] }, terminationGracePeriodSeconds: 10 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 600 }), scaled(10))
  await pod.waitFor(KILLED('web'), 10_000)
  const killedAt = Date.now()
  await pod.waitFor(/Started +spec\.containers\{web\}[^\n]*\n(?:.*\n)*.*Started +spec\.containers\{web\}/, 20_000)
  const restartedAfter = Date.now() - killedAt
  // stop the pod itself at once: a second SIGINT kills (the pod's grace would be a minute)
  process.kill(pod.pid, 'SIGINT')
  await pod.waitFor(/SIGINT: stopping pod/)
  process.kill(pod.pid, 'SIGINT')
  const r = await pod.result
  t.ok(restartedAfter >= waitMs(800), `the TERM-ignoring container got the probe's grace period (${restartedAfter} ms ≈ 10 s scaled: ${waitMs(1000)} ms)`)
  t.ok(restartedAfter < waitMs(5000), `not the pod's 600 s (${restartedAfter} ms)`)
  t.match(containerStatus(r.status, 'web')?.lastState, { terminated: { exitCode: 137 } }, 'the killed instance died of SIGKILL')
})
