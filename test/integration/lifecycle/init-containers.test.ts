// Init containers as kubelet runs them (node e2e "InitContainer [NodeConformance]"):
// one at a time in spec order, each to exit 0 before the next, app
// containers waiting with PodInitializing meanwhile; a failing init
// container fails a Never pod (the app never starts) and is restarted with
// crash-loop backoff on an Always pod, which stays Pending.
import t from 'tap'
import {
  IS_ROOT, STAMP, condition, containerLines, containerStatus, eventsOf, parseEvents, pause, podEnv, podManifest, scaled, shContainer, stamps, stop, waitMs, waitS,
} from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

t.test('Never pod: init containers run in order, then the app; Initialized', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('init-never', [shContainer('app', `${STAMP('start')}`)], {
    initContainers: [shContainer('init1', `${STAMP('start')}; sleep ${waitS(0.2)}; ${STAMP('end')}`), shContainer('init2', `${STAMP('start')}; ${STAMP('end')}`)],
  }), scaled(20))
  t.equal(r.code, 0, 'the pod succeeds', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Succeeded')
  const [i1Start] = stamps(containerLines(r.stderr, 'init1'), 'start')
  const [i1End] = stamps(containerLines(r.stderr, 'init1'), 'end')
  const [i2Start] = stamps(containerLines(r.stderr, 'init2'), 'start')
  const [i2End] = stamps(containerLines(r.stderr, 'init2'), 'end')
  const [appStart] = stamps(containerLines(r.stderr, 'app'), 'start')
  t.ok(i1End <= i2Start && i2End <= appStart, `init1 ends before init2 starts, init2 before the app (${i1Start}..${i1End}, ${i2Start}..${i2End}, ${appStart})`)
  const started = parseEvents(r.stderr).filter((e) => e.reason === 'Started').map((e) => e.object)
  t.same(started, ['spec.initContainers{init1}', 'spec.initContainers{init2}', 'spec.containers{app}'], 'Started events in order, init containers under spec.initContainers')
  for (const name of ['init1', 'init2', 'app']) {
    const s = containerStatus(r.status, name)
    t.match(s, { restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, `${name} completed once`)
  }
  t.match(condition(r.status, 'Initialized'), { status: 'True', reason: 'PodCompleted' }, 'Initialized (PodCompleted once Succeeded)')
})

t.test('Always pod: init containers run in order once, the app keeps running; Initialized', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('init-always', [shContainer('app', `${STAMP('start')}; exec sleep 1000`)], {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 2,
    initContainers: [shContainer('init1', `${STAMP('start')}; ${STAMP('end')}`), shContainer('init2', `${STAMP('start')}; ${STAMP('end')}`)],
  }), scaled(20))
  await pod.waitFor(/app +\| start \d+/)
  await pause(500)
  const r = await stop(pod)
  t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
  const [i1End] = stamps(containerLines(r.stderr, 'init1'), 'end')
  const [i2Start] = stamps(containerLines(r.stderr, 'init2'), 'start')
  const [i2End] = stamps(containerLines(r.stderr, 'init2'), 'end')
  const [appStart] = stamps(containerLines(r.stderr, 'app'), 'start')
  t.ok(i1End <= i2Start && i2End <= appStart, 'init1, then init2, then the app')
  for (const name of ['init1', 'init2']) {
    t.match(containerStatus(r.status, name), { restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }, `${name} completed and was not re-run`)
    t.equal(eventsOf(parseEvents(r.stderr), name, 'Started').length, 1, `${name} started once`)
  }
  t.match(containerStatus(r.status, 'app'), { restartCount: 0 }, 'the app was not restarted')
  t.match(condition(r.status, 'Initialized'), { status: 'True' }, 'Initialized')
  t.match(r.status?.initContainerStatuses?.map((s: any) => s.name), ['init1', 'init2'], 'initContainerStatuses in spec order')
})

t.test('Never pod: a failing init container fails the pod, the next init container and the app never start', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('init-fail-never', [shContainer('app', 'echo app ran')], {
    initContainers: [shContainer('init1', 'echo init1 failing; exit 3'), shContainer('init2', 'echo init2 ran')],
  }), scaled(20))
  t.not(r.code, 0, 'podshim run reports the failure')
  t.equal(r.status?.phase, 'Failed', 'phase Failed')
  t.match(containerStatus(r.status, 'init1'), { restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } }, 'init1 Error, not restarted')
  t.match(containerStatus(r.status, 'init2'), { state: { waiting: { reason: 'PodInitializing' } } }, 'init2 never started')
  t.match(containerStatus(r.status, 'app'), { restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }, 'the app waits with PodInitializing')
  t.notMatch(r.stderr, /app ran|init2 ran/, 'neither init2 nor the app ran')
  t.same(eventsOf(parseEvents(r.stderr), 'app', 'Started'), [], 'no Started event for the app')
  t.match(condition(r.status, 'Initialized'), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init1 init2]' }, 'Initialized False, kubelet\'s reason and message')
})

t.test('Always pod: a failing init container restarts with backoff, the pod stays Pending', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('init-fail-always', [shContainer('app', 'echo app ran; exec sleep 1000')], {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 2,
    initContainers: [shContainer('init1', 'echo init1 failing; exit 3')],
  }), scaled(20))
  // starts at 0, 0 and 10 s (0.5 s real): the second BackOff is after the third run
  await pod.waitFor(/BackOff +spec\.initContainers\{init1\}[^\n]*\n(?:.*\n)*.*BackOff +spec\.initContainers\{init1\}/, 10_000)
  const r = await stop(pod)
  t.equal(r.code, 0, 'stopped on request', { stderr: r.stderr })
  const events = parseEvents(r.stderr)
  const starts = eventsOf(events, 'init1', 'Started')
  t.ok(starts.length >= 3, `init1 was restarted (${starts.length} starts)`)
  t.ok(starts[2].ms - starts[1].ms >= waitMs(400), `the restart after the second failure waited for the backoff (${starts[2].ms - starts[1].ms} ms, 10 s scaled: ${waitMs(500)} ms)`)
  const init1 = containerStatus(r.status, 'init1')
  t.ok(init1?.restartCount >= 2, `init1 restartCount ${init1?.restartCount}`)
  t.match(init1, { lastState: { terminated: { exitCode: 3, reason: 'Error' } } }, 'its last termination is kept')
  t.match(init1?.state, { waiting: { reason: 'CrashLoopBackOff', message: /^back-off \d+s restarting failed container=init1 pod=init-fail-always_default\(/ } }, 'init1 waits in CrashLoopBackOff')
  t.match(eventsOf(events, 'init1', 'BackOff')[0], { type: 'Warning', message: /^Back-off restarting failed container init1 in pod init-fail-always_default\(/ })
  t.match(containerStatus(r.status, 'app'), { restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }, 'the app never started')
  t.notMatch(r.stderr, /app ran/)
  t.equal(r.status?.phase, 'Pending', 'phase Pending')
  t.match(condition(r.status, 'Initialized'), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init1]' })
  t.match(condition(r.status, 'ContainersReady'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' })
  t.match(condition(r.status, 'Ready'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' })
})

t.test('a completed init container stays ready: true in the final status (kubelet: ready = terminated with exit 0)', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('init-ready', [shContainer('app', 'true')], { initContainers: [shContainer('init1', 'true')] }), scaled(20))
  t.equal(r.status?.phase, 'Succeeded', 'the pod succeeds', { stderr: r.stderr })
  t.match(containerStatus(r.status, 'init1'), { ready: true, state: { terminated: { exitCode: 0 } } }, 'init1 ready')
})
