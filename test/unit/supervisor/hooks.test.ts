// Lifecycle hooks as kubelet runs them: postStart inside startContainer, so
// until it returns the container shows what it showed before the start (not
// Running, not started, not ready), its probes do not run, and the pod
// worker starts nothing else (the next app container in spec order, the
// init container after a sidecar); preStop failures are reported without
// the hook's output, and its time is taken off the grace period in whole
// seconds, as kubelet's int64 arithmetic does.
import t from 'tap'
import { NO_LIFECYCLE, type LifecycleAgent } from '../../../src/supervisor/lifecycle-agent'
import { c, supervisedPod } from './fixtures/supervised-pod'

/** postStart hooks that end when the test says; which containers got their probes started. */
function handHooks(): { agent: LifecycleAgent; finish: Map<string, (error?: string) => void>; probed: string[] } {
  const finish = new Map<string, (error?: string) => void>()
  const probed: string[] = []
  const agent: LifecycleAgent = {
    ...NO_LIFECYCLE,
    containerStarted: (rec) => void probed.push(rec.name),
    postStart: (rec) => rec.spec.lifecycle?.postStart === undefined ? Promise.resolve(undefined) : new Promise((resolve) => finish.set(rec.name, resolve)),
  }
  return { agent, finish, probed }
}

const POST_START = ', lifecycle: {postStart: {exec: {command: [hook]}}}'

t.test('postStart blocks the start: the container is not Running, started or ready until it returns, and the next one waits', async (t) => {
  const { agent, finish, probed } = handHooks()
  const pod = supervisedPod(`  containers:\n${c('first', POST_START)}${c('second')}`, agent)
  await pod.tick(0)
  t.same(pod.runtime.started.map((p) => p.name), ['first'], 'the second container waits for the first one\'s postStart')
  const first = pod.sup.status().containerStatuses[0]
  t.same(first.state, { waiting: { reason: 'ContainerCreating' } }, 'shown as before its start')
  t.equal(first.started, false)
  t.equal(first.ready, false)
  t.equal(pod.sup.status().phase, 'Pending')
  t.same(probed, [], 'no probe runs during postStart')
  t.ok(pod.sup.events.events.some((e) => e.reason === 'Started'), 'the Started event comes before the hook, as kubelet records it')
  finish.get('first')!()
  await pod.tick(0)
  t.same(pod.runtime.started.map((p) => p.name), ['first', 'second'])
  t.same(probed, ['first', 'second'])
  const after = pod.sup.status().containerStatuses[0]
  t.ok(after.state.running !== undefined, 'Running once the hook returned')
  t.equal(after.started, true)
  t.equal(after.ready, true)
  pod.sup.stop()
  await pod.done
})

t.test('a sidecar\'s postStart holds the next init container back', async (t) => {
  const { agent, finish } = handHooks()
  const pod = supervisedPod(`  restartPolicy: Never\n  initContainers:\n${c('side', `, restartPolicy: Always${POST_START}`)}${c('init')}  containers:\n${c('app')}`, agent)
  await pod.tick(0)
  t.same(pod.runtime.started.map((p) => p.name), ['side'])
  t.equal(pod.sup.status().initContainerStatuses![0].started, false)
  finish.get('side')!()
  await pod.tick(0)
  t.same(pod.runtime.started.map((p) => p.name), ['side', 'init'])
  pod.sup.stop()
  await pod.done
})

t.test('a restarted container shows its last termination while its postStart runs', async (t) => {
  const { agent, finish } = handHooks()
  const pod = supervisedPod(`  restartPolicy: Always\n  containers:\n${c('app', POST_START)}`, agent)
  await pod.tick(0)
  finish.get('app')!()
  await pod.tick(0)
  pod.runtime.running('app').exit(3)
  await pod.tick(0)
  t.equal(pod.runtime.started.length, 2, 'restarted at once')
  const s = pod.sup.status().containerStatuses[0]
  t.match(s.state, { terminated: { exitCode: 3 } }, 'kubelet\'s status still shows the exited instance')
  t.same(s.lastState, {}, 'and nothing older')
  t.equal(s.restartCount, 1)
  finish.get('app')!()
  await pod.tick(0)
  t.match(pod.sup.status().containerStatuses[0], { state: { running: {} }, lastState: { terminated: { exitCode: 3 } } })
  pod.sup.stop()
  await pod.done
})

t.test('a failed preStop hook is reported as kubelet reports it: without the hook\'s output', async (t) => {
  const lifecycle: LifecycleAgent = { ...NO_LIFECYCLE, preStopFor: () => async () => 'Exec lifecycle hook ([x]) failed - error: exit 1, message: "password=hunter2"' }
  const pod = supervisedPod(`  containers:\n${c('app')}`, lifecycle)
  await pod.tick(0)
  pod.sup.stop()
  await pod.done
  const failed = pod.sup.events.events.filter((e) => e.reason === 'FailedPreStopHook')
  t.same(failed.map((e) => [e.type, e.message, e.fieldPath]), [['Warning', 'PreStopHook failed', 'spec.containers{app}']])
})

t.test('preStop time is taken off the grace period in whole seconds', async (t) => {
  let hookEnded!: () => void
  const lifecycle: LifecycleAgent = { ...NO_LIFECYCLE, preStopFor: () => () => new Promise((r) => (hookEnded = () => r(undefined))) }
  const pod = supervisedPod(`  terminationGracePeriodSeconds: 10\n  containers:\n${c('app')}`, lifecycle)
  pod.runtime.ignoreTerm.add('app')
  await pod.tick(0)
  pod.sup.stop()
  await pod.tick(3700)
  hookEnded()
  await pod.tick(0)
  t.same(pod.runtime.running('app').signals, [15], 'TERM at 3.7 s')
  await pod.tick(6999)
  t.same(pod.runtime.running('app').signals, [15], 'kubelet: 10 - int64(3.7) = 7 s more, so no KILL at 10 s')
  await pod.tick(1)
  t.same(pod.runtime.running('app').signals, [15, 9], 'KILL at 10.7 s')
  await pod.done
})

t.test('a sidecar\'s wait for its turn is taken off the grace period in whole seconds', async (t) => {
  let hookEnded!: () => void
  const lifecycle: LifecycleAgent = { ...NO_LIFECYCLE, preStopFor: (rec) => rec.name === 'app' ? () => new Promise((r) => (hookEnded = () => r(undefined))) : undefined }
  const pod = supervisedPod(`  terminationGracePeriodSeconds: 10\n  initContainers:\n${c('side', ', restartPolicy: Always')}  containers:\n${c('app')}`, lifecycle)
  pod.runtime.ignoreTerm.add('side')
  await pod.tick(0)
  pod.sup.stop()
  await pod.tick(2500)
  hookEnded()
  await pod.tick(0)
  t.same(pod.runtime.running('side').signals, [15], 'TERM once the app is gone, at 2.5 s')
  await pod.tick(7500)
  t.same(pod.runtime.running('side').signals, [15], 'kubelet: 10 - int64(2.5) = 8 s more, so no KILL at 10 s')
  await pod.tick(499)
  t.same(pod.runtime.running('side').signals, [15])
  await pod.tick(1)
  t.same(pod.runtime.running('side').signals, [15, 9], 'KILL at 10.5 s')
  await pod.done
})

t.test('a stop does not wait for a postStart hook that never returns', async (t) => {
  const { agent } = handHooks()
  const pod = supervisedPod(`  terminationGracePeriodSeconds: 5\n  containers:\n${c('app', POST_START)}`, agent)
  await pod.tick(0)
  pod.sup.stop()
  await pod.tick(0)
  t.same(pod.runtime.running('app').signals, [15], 'the container is stopped as any running one')
  await pod.tick(0)
  t.ok(pod.result() !== undefined, 'the pod ended without a second stop')
  if (pod.result() === undefined) pod.sup.stop()
  await pod.done
})

t.test('a container that exits during its exec postStart: the hook fails as kubelet\'s exec does, a sleep hook does not', async (t) => {
  for (const [hook, isFailure] of [[POST_START, true], [', lifecycle: {postStart: {sleep: {seconds: 5}}}', false]] as const) {
    const { agent } = handHooks()
    const pod = supervisedPod(`  restartPolicy: Never\n  containers:\n${c('app', hook)}`, agent)
    await pod.tick(0)
    pod.runtime.running('app').exit(0)
    await pod.done
    const events = pod.sup.events.events.map((e) => `${e.reason} ${e.message}`)
    t.equal(events.includes('FailedPostStartHook PostStartHook failed'), isFailure, `${hook}: FailedPostStartHook`)
    t.equal(events.includes('Killing FailedPostStartHook'), isFailure, `${hook}: Killing`)
  }
})
