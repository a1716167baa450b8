// Restart counts under crash-loop backoff (node e2e "should have monotonically
// increasing restart count"): a container that keeps failing on an Always pod
// is restarted at once, then after 10, 20, 40 s (kubelet's doubling), its
// restartCount rises by one each time, it waits with CrashLoopBackOff and
// kubelet's "back-off <d> restarting failed container=<c> pod=<p>" message,
// and its last termination stays visible. Time scale 20: 10 s is 0.5 s.
import t from 'tap'
import { IS_ROOT, containerLines, containerStatus, eventsOf, parseEvents, podEnv, podManifest, scaled, shContainer, stop, waitMs } from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

t.test('Always pod: restart counts rise monotonically with doubling backoff; CrashLoopBackOff; lastState kept', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('crashloop', [shContainer('app', 'echo run >> /data/runs; echo run=$(wc -l < /data/runs); exit 2', {
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  })], { restartPolicy: 'Always', terminationGracePeriodSeconds: 2, volumes: [{ name: 'data', emptyDir: {} }] }), scaled(20))
  // runs at 0, 0, 0.5, 1.5, 3.5 s: the fifth run, then its BackOff
  await pod.waitFor(/app +\| run=5\n(?:.*\n)*.*BackOff +spec\.containers\{app\}/, 15_000)
  const r = await stop(pod)
  t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
  const runs = containerLines(r.stderr, 'app').map((l) => /^run=(\d+)$/.exec(l)?.[1]).filter((n) => n !== undefined).map(Number)
  t.same(runs, runs.map((_, i) => i + 1), `each run is the next one (${runs.join(',')})`)
  const starts = eventsOf(parseEvents(r.stderr), 'app', 'Started').map((e) => e.ms)
  const gaps = starts.slice(1).map((ms, i) => ms - starts[i])
  // immediate, not a wait: no BackOff event between the first two starts (the 10 s wait is only 500 ms scaled)
  const appEvents = eventsOf(parseEvents(r.stderr), 'app')
  const secondStart = appEvents.findIndex((e, i) => e.reason === 'Started' && appEvents.slice(0, i).some((p) => p.reason === 'Started'))
  t.ok(secondStart > 0 && !appEvents.slice(0, secondStart).some((e) => e.reason === 'BackOff'), `the first restart is immediate (${gaps[0]} ms)`)
  // at least the backoff; the message below pins the doubling, so the upper bound is only well short of the next step
  for (let i = 1; i < gaps.length; i++) {
    const expected = waitMs(500 * 2 ** (i - 1))
    t.ok(gaps[i] >= expected * 0.9 && gaps[i] < 2 * expected + waitMs(800), `restart ${i + 1} waited ${gaps[i]} ms (backoff ${10 * 2 ** (i - 1)} s, scaled: ${expected} ms)`)
  }
  const s = containerStatus(r.status, 'app')
  t.equal(s?.restartCount, starts.length - 1, `restartCount ${s?.restartCount} counts the restarts`)
  t.ok(s?.restartCount >= 4, 'at least four restarts')
  t.match(s?.state, { waiting: { reason: 'CrashLoopBackOff', message: /^back-off 1m20s restarting failed container=app pod=crashloop_default\([0-9a-f-]+\)$/ } },
    'waiting CrashLoopBackOff with kubelet\'s message (the fifth crash waits 80 s)')
  t.match(s?.lastState, { terminated: { exitCode: 2, reason: 'Error' } }, 'the last termination is kept')
  const backoffs = eventsOf(parseEvents(r.stderr), 'app', 'BackOff')
  t.ok(backoffs.length >= 3, `a BackOff event per wait (${backoffs.length})`)
  t.match(backoffs[0], { type: 'Warning', message: /^Back-off restarting failed container app in pod crashloop_default\(/ })
})

t.test('OnFailure pod: restarts until a success, then completes', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('onfailure', [shContainer('app', 'echo run >> /data/runs; n=$(wc -l < /data/runs); echo run=$n; [ $n -ge 3 ]', {
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  })], { restartPolicy: 'OnFailure', volumes: [{ name: 'data', emptyDir: {} }] }), scaled(20))
  t.equal(r.code, 0, 'succeeds', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Succeeded')
  t.match(containerStatus(r.status, 'app'), { restartCount: 2, state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } })
})
