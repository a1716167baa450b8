// Sidecars (init containers with restartPolicy Always; node e2e "Containers
// Lifecycle" sidecar cases): each starts in spec order and lets the next init
// container go once started (and past its startupProbe); they run beside the
// app, do not keep a Never pod from completing, and stop after the app
// containers in reverse spec order. Each container stamps its start and its
// TERM with the wall clock (ns) on its output.
import t from 'tap'
import { IS_ROOT, STAMP, containerLines, containerStatus, eventsOf, parseEvents, podEnv, podManifest, scaled, shContainer, stamps, stop, waitMs, waitS } from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

// a sidecar that stamps its start and, on TERM, its stop (after a short pause, so an overlap would show)
const SIDECAR_SCRIPT = `${STAMP('start')}; trap '${STAMP('term')}; sleep ${waitS(0.2)}; ${STAMP('stop')}; exit 0' TERM; sleep 1000 & wait`
const sidecar = (name: string, extra = {}): Record<string, unknown> => ({ ...shContainer(name, SIDECAR_SCRIPT), restartPolicy: 'Always', ...extra })

function first(output: string, name: string, word: string): number {
  return stamps(containerLines(output, name), word)[0] ?? NaN
}

t.test('sidecars start in order before the next init container and the app; Never pod completes; they stop after the app, later ones first', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('sidecars', [shContainer('app', `${STAMP('start')}; sleep ${waitS(0.5)}; ${STAMP('stop')}`)], {
    terminationGracePeriodSeconds: 20,
    initContainers: [
      sidecar('side1'),
      shContainer('init', `${STAMP('start')}; ${STAMP('stop')}`),
      // its startupProbe passes only after 0.3 s: the app must wait for it
      sidecar('side2', { startupProbe: { exec: { command: ['sh', '-c', `sleep ${waitS(0.3)}`] }, periodSeconds: 1, timeoutSeconds: 10 } }),
    ],
  }), scaled(10))
  t.equal(r.code, 0, 'the Never pod completes although the sidecars would run forever', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Succeeded')
  const s1 = first(r.stderr, 'side1', 'start')
  const init = first(r.stderr, 'init', 'start')
  const s2 = first(r.stderr, 'side2', 'start')
  const app = first(r.stderr, 'app', 'start')
  // side1 has no startupProbe: init may start within the same millisecond, before side1's shell prints its
  // stamp, so their order is the supervisor's, from its events (in the order they happened)
  const events = parseEvents(r.stderr)
  const startedAt = (name: string): number => events.indexOf(eventsOf(events, name, 'Started')[0])
  t.ok(startedAt('side1') >= 0 && startedAt('side1') < startedAt('init'), 'side1 was started before init')
  t.ok(init < s2 && s2 < app, `start order init < side2 < app (${[s1, init, s2, app].map((x) => x - s1).join(', ')} ms)`)
  t.ok(app - s2 >= waitMs(250), `the app waited for side2's startupProbe (${app - s2} ms)`)
  const appStop = first(r.stderr, 'app', 'stop')
  const t2 = first(r.stderr, 'side2', 'term')
  const t1 = first(r.stderr, 'side1', 'term')
  const e2 = first(r.stderr, 'side2', 'stop')
  t.ok(appStop <= t2, 'side2 got TERM after the app had ended')
  t.ok(e2 <= t1, `side1 got TERM only after side2 had stopped (side2 stop ${e2}, side1 term ${t1})`)
  for (const name of ['side1', 'side2']) {
    t.match(containerStatus(r.status, name), { restartCount: 0, state: { terminated: { exitCode: 0 } } }, `${name} stopped on TERM, not restarted`)
  }
  for (const name of ['side1', 'side2']) t.match(eventsOf(events, name, 'Killing')[0], { message: `Stopping container ${name}` }, `a Killing event for ${name}`)
})

t.test('an exited sidecar is restarted, whatever the pod restartPolicy', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('sidecar-restart', [shContainer('app', 'echo up; exec sleep 1000')], {
    terminationGracePeriodSeconds: 2,
    initContainers: [{ ...shContainer('side', `echo side run; sleep ${waitS(0.2)}; exit 1`), restartPolicy: 'Always' }],
  }), scaled(20))
  await pod.waitFor(/side +\| side run\n(?:.*\n)*side +\| side run\n(?:.*\n)*side +\| side run/, 10_000)
  const r = await stop(pod)
  t.ok(containerStatus(r.status, 'side')?.restartCount >= 2, `restarted on a Never pod (restartCount ${containerStatus(r.status, 'side')?.restartCount})`)
  t.equal(eventsOf(parseEvents(r.stderr), 'app', 'Started').length, 1, 'the app ran on, started once')
})
