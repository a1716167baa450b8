// Readiness and startup probes (node e2e "Probing container"): readiness is
// not probed before initialDelaySeconds and succeeds after it; a failing
// readiness probe never restarts the container and leaves it unready; a
// startup probe gates liveness (a liveness probe that would fail is not run
// until startup succeeds) and one that never succeeds kills the container.
// There is no live status command, so "ready" is inferred from the probe's
// own record (when it first ran, that it never failed) and the events; the
// final status is read after a stop at a chosen time. Time scale 20.
import t from 'tap'
import { DATE_NS, IS_ROOT, condition, containerLines, containerStatus, eventsOf, parseEvents, pause, podEnv, podManifest, scaled, shContainer, stop, waitMs, waitS } from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const SCALE = 20
const sleep = pause
// the payload prints, on TERM, when it started and when the readiness probe first ran (ns)
const RECORDER = `${DATE_NS} > /tmp/start; trap 'echo start=$(cat /tmp/start); echo first=$(head -1 /tmp/probes 2>/dev/null); echo probes=$(cat /tmp/probes 2>/dev/null | wc -l); exit 0' TERM; echo up; sleep 1000 & wait`
const RECORDING_PROBE = { exec: { command: ['sh', '-c', `${DATE_NS} >> /tmp/probes`] } }

/** The payload's record (ms); first is undefined when no probe ran. Throws when the record was not printed: no evidence is not "0 probes". */
function record(lines: string[]): { start: number; first: number | undefined; probes: number } {
  const get = (k: string): string | undefined => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1)
  const [start, first, probes] = [get('start'), get('first'), get('probes')]
  if (start === undefined || first === undefined || probes === undefined) throw new Error(`the payload printed no record (start=, first=, probes=):\n${lines.join('\n')}`)
  return { start: Number(BigInt(start) / 1_000_000n), first: first === '' ? undefined : Number(BigInt(first) / 1_000_000n), probes: Number(probes) }
}

t.test('readiness: not probed before initialDelaySeconds, ready after it', async (t) => {
  // initialDelaySeconds 30 = 1.5 s real, period 2 s = 100 ms
  const manifest = podManifest('ready-delay', [shContainer('web', RECORDER, {
    readinessProbe: { ...RECORDING_PROBE, initialDelaySeconds: 30, periodSeconds: 2, timeoutSeconds: 10 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 })

  t.test('stopped before the delay: the probe never ran', async (t) => {
    const env = podEnv(t)
    const pod = env.start(manifest, scaled(SCALE))
    await pod.waitFor(/web +\| up/)
    await sleep(500)
    const r = await stop(pod)
    const rec = record(containerLines(r.stderr, 'web'))
    t.equal(rec.probes, 0, 'no readiness probe before initialDelaySeconds')
    t.same(eventsOf(parseEvents(r.stderr), 'web', 'Unhealthy'), [], 'no Unhealthy event')
    t.match(containerStatus(r.status, 'web'), { ready: false, restartCount: 0 }, 'not ready')
    t.match(condition(r.status, 'Ready'), { status: 'False' })
  })

  t.test('stopped after the delay: probed from the delay on, every probe succeeded', async (t) => {
    const env = podEnv(t)
    const pod = env.start(manifest, scaled(SCALE))
    await pod.waitFor(/web +\| up/)
    await sleep(2500)
    const r = await stop(pod)
    const rec = record(containerLines(r.stderr, 'web'))
    t.ok(rec.first !== undefined && rec.first - rec.start >= waitMs(1400), `first probe ${rec.first! - rec.start} ms after the start (30 s scaled: ${waitMs(1500)} ms)`)
    t.ok(rec.probes >= 3, `probed every period after it (${rec.probes})`)
    t.same(eventsOf(parseEvents(r.stderr), 'web', 'Unhealthy'), [], 'no Unhealthy event: it was ready')
    t.equal(containerStatus(r.status, 'web')?.restartCount, 0, 'readiness never restarts')
  })
})

t.test('readiness: a failing probe keeps the container unready and never restarts it', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('ready-fail', [shContainer('web', 'echo up; exec sleep 1000', {
    readinessProbe: { exec: { command: ['sh', '-c', 'echo not yet; exit 1'] }, periodSeconds: 2, timeoutSeconds: 10, failureThreshold: 1 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/web +\| up/)
  await sleep(1500)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  const unhealthy = eventsOf(events, 'web', 'Unhealthy')
  t.ok(unhealthy.length >= 3, `Unhealthy every period (${unhealthy.length})`)
  t.match(unhealthy[0], { type: 'Warning', message: /^Readiness probe failed: not yet/ }, 'kubelet\'s message with the probe output')
  t.same(eventsOf(events, 'web', 'Killing').filter((e) => /probe/.test(e.message)), [], 'not killed for readiness')
  t.match(containerStatus(r.status, 'web'), { ready: false, restartCount: 0 })
  t.match(condition(r.status, 'Ready'), { status: 'False' })
  t.match(condition(r.status, 'ContainersReady'), { status: 'False' })
})

t.test('readiness: a failing probe on a pod still Pending gives kubelet\'s ContainersNotReady reason and message', async (t) => {
  // the final status of a stopped pod is terminal (reason PodFailed/PodCompleted) unless a container
  // still waits: an image that is not present (pull policy Never) keeps this one Pending
  const env = podEnv(t)
  const pod = env.start(podManifest('ready-pending', [
    shContainer('web', 'echo up; exec sleep 1000', { readinessProbe: { exec: { command: ['false'] }, periodSeconds: 2, timeoutSeconds: 10 } }),
    { name: 'other', image: 'podshim.invalid/none:1', imagePullPolicy: 'Never' },
  ], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/web +\| up/)
  await sleep(1000)
  const r = await stop(pod)
  t.equal(r.status?.phase, 'Pending', 'Pending: a container still waits', { stderr: r.stderr })
  const message = 'containers with unready status: [web other]'
  t.match(condition(r.status, 'ContainersReady'), { status: 'False', reason: 'ContainersNotReady', message })
  t.match(condition(r.status, 'Ready'), { status: 'False', reason: 'ContainersNotReady', message })
})

t.test('startup probe gates liveness: a liveness probe that would fail does not run until startup succeeds', async (t) => {
  const env = podEnv(t)
  // /tmp/started appears after 1 s real (20 s): liveness (failureThreshold 1) would kill at once before it
  const pod = env.start(podManifest('startup-gate', [shContainer('web', `echo up; sleep ${waitS(1)}; touch /tmp/started; echo started; exec sleep 1000`, {
    startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 2, failureThreshold: 60, timeoutSeconds: 10 },
    livenessProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 2, failureThreshold: 1, timeoutSeconds: 10 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/web +\| started/, 10_000)
  await sleep(1000)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  const unhealthy = eventsOf(events, 'web', 'Unhealthy')
  t.ok(unhealthy.filter((e) => /^Startup probe failed/.test(e.message)).length >= 3, 'the startup probe failed while the file was missing')
  t.same(unhealthy.filter((e) => /^Liveness/.test(e.message)), [], 'the liveness probe never failed: it did not run before startup succeeded')
  t.same(eventsOf(events, 'web', 'Killing').filter((e) => /probe/.test(e.message)), [], 'never killed')
  t.equal(containerStatus(r.status, 'web')?.restartCount, 0, 'restartCount 0')
})

t.test('startup probe that never succeeds kills and restarts the container', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('startup-never', [shContainer('web', 'echo up; exec sleep 1000', {
    startupProbe: { exec: { command: ['false'] }, periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 10 },
    livenessProbe: { exec: { command: ['true'] }, periodSeconds: 2, timeoutSeconds: 10 },
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/Killing +spec\.containers\{web\}: Container web failed startup probe, will be restarted/, 10_000)
  await pod.waitFor(/web +\| up\n(?:.*\n)*web +\| up\n/, 10_000)
  const r = await stop(pod)
  const events = parseEvents(r.stderr)
  const unhealthy = eventsOf(events, 'web', 'Unhealthy')
  const firstKill = eventsOf(events, 'web', 'Killing')[0]
  t.ok(unhealthy.filter((e) => e.ms <= firstKill.ms && /^Startup probe failed/.test(e.message)).length >= 3, 'failureThreshold 3: three failures before the kill')
  const s = containerStatus(r.status, 'web')
  t.ok(s?.restartCount >= 1, `restarted (restartCount ${s?.restartCount})`)
  t.match(s?.lastState, { terminated: { exitCode: 143, reason: 'Error' } }, 'the killed instance is lastState')
  t.equal(s?.started, false, 'never started')
})

t.test('when startup succeeds, readiness is probed at once and liveness waits for its own period', async (t) => {
  // kubelet's UpdatePodStatus triggers the readiness worker of a started container; nothing triggers liveness.
  // Both periods are ~83 min real, so neither would run in this test by its ticker (nor, but for a ~0.03 %
  // chance, by the start-up jitter): a readiness line is the trigger, a liveness line a wrong trigger.
  const env = podEnv(t)
  const long = { periodSeconds: 100_000, timeoutSeconds: 10 }
  const recordTo = (file: string): object => ({ exec: { command: ['sh', '-c', `echo probed >> ${file}`] } })
  const pod = env.start(podManifest('startup-then', [shContainer('web',
    `echo up; sleep ${waitS(0.3)}; touch /tmp/started; trap 'echo ready=$(cat /tmp/ready 2>/dev/null | wc -l); echo live=$(cat /tmp/live 2>/dev/null | wc -l); exit 0' TERM; echo started; sleep 1000 & wait`, {
      startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 600, timeoutSeconds: 10 },
      readinessProbe: { ...recordTo('/tmp/ready'), ...long },
      livenessProbe: { ...recordTo('/tmp/live'), ...long },
    })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2 }), scaled(SCALE))
  await pod.waitFor(/web +\| started/, 10_000)
  await sleep(1000)
  const r = await stop(pod)
  const lines = containerLines(r.stderr, 'web')
  t.ok(lines.includes('ready=1'), `readiness probed once, when startup succeeded (${lines.join(' | ')})`)
  t.ok(lines.includes('live=0'), 'liveness not probed before its period')
  t.equal(containerStatus(r.status, 'web')?.restartCount, 0, 'never restarted')
})
