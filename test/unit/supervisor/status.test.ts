import t from 'tap'
import { podConditions, podPhase, type ContainerState, type ContainerStatus } from '../../../src/supervisor/status'

const st = (name: string, state: ContainerState, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name, state, lastState: {}, ready: false, restartCount: 0, image: 'i', imageID: '', started: false, ...extra,
})
const running: ContainerState = { running: { startedAt: 'x' } }
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: 'x' } })
const waiting = (reason = 'ContainerCreating'): ContainerState => ({ waiting: { reason } })

t.test('getPhase: regular containers', (t) => {
  t.equal(podPhase('Always', [], [st('a', waiting())], false), 'Pending')
  t.equal(podPhase('Always', [], [st('a', running)], false), 'Running')
  t.equal(podPhase('Never', [], [st('a', exited(0)), st('b', exited(0))], false), 'Succeeded')
  t.equal(podPhase('Never', [], [st('a', exited(0)), st('b', exited(1))], false), 'Failed')
  t.equal(podPhase('OnFailure', [], [st('a', exited(1))], false), 'Running', 'OnFailure with a failure restarts')
  t.equal(podPhase('Always', [], [st('a', exited(0))], false), 'Running', 'Always restarts')
  t.equal(podPhase('Always', [], [st('a', exited(0))], true), 'Succeeded', 'terminal: all succeeded')
  t.equal(podPhase('Always', [], [st('a', exited(143))], true), 'Failed', 'terminal: one failed')
  t.equal(podPhase('Always', [], [st('a', waiting('CrashLoopBackOff'), { lastState: exited(1) })], false), 'Running', 'waiting with a last termination counts as stopped')
  t.equal(podPhase('Always', [], [st('a', running), st('b', waiting())], false), 'Pending', 'any waiting container without history keeps the pod Pending')
  t.end()
})

t.test('getPhase: init containers and sidecars', (t) => {
  const init = (s: ContainerStatus, isSidecar = false) => ({ status: s, isSidecar })
  t.equal(podPhase('Never', [init(st('i', exited(1)))], [st('a', waiting('PodInitializing'))], false), 'Failed', 'failed init under Never')
  t.equal(podPhase('Always', [init(st('i', exited(1)))], [st('a', waiting('PodInitializing'))], false), 'Pending', 'failed init restarts under Always')
  t.equal(podPhase('Always', [init(st('i', running))], [st('a', waiting('PodInitializing'))], false), 'Pending')
  t.equal(podPhase('Never', [init(st('s', running, { started: true }), true)], [st('a', exited(0))], false), 'Running', 'a running sidecar counts as running')
  t.equal(podPhase('Never', [init(st('s', exited(137)), true)], [st('a', exited(0))], false), 'Succeeded', 'terminated sidecars are ignored')
  t.end()
})

t.test('conditions in kubelet order with reasons', (t) => {
  const since = (): string => '2026-01-01T00:00:00Z'
  const c = podConditions({ phase: 'Pending', sandboxReady: true, init: [{ status: st('i', running), isSidecar: false }], regular: [st('a', waiting('PodInitializing'))], since })
  t.same(c.map((x) => x.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'])
  t.match(c[1], { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i]' })
  t.match(c[3], { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [a]' })
  const done = podConditions({ phase: 'Succeeded', sandboxReady: false, init: [], regular: [st('a', exited(0))], since })
  t.match(done[1], { status: 'True', reason: 'PodCompleted' })
  t.match(done[2], { type: 'Ready', status: 'False', reason: 'PodCompleted' })
  const ready = podConditions({ phase: 'Running', sandboxReady: true, init: [], regular: [st('a', running, { ready: true })], since })
  t.match(ready[2], { type: 'Ready', status: 'True' })
  t.end()
})

t.test('readinessGates: Ready waits for a True condition of each gate type, which only kubelet\'s own conditions can be here', (t) => {
  const since = (): string => 't'
  const ready = st('a', running, { ready: true })
  const gated = (gates: string[], sandboxReady = true) => podConditions({ phase: 'Running', sandboxReady, init: [], regular: [ready], since, readinessGates: gates })
  t.match(gated([]).find((c) => c.type === 'Ready'), { status: 'True' }, 'no gate: Ready as ContainersReady')
  t.match(gated(['example.com/feature-1', 'other']).find((c) => c.type === 'Ready'), {
    status: 'False', reason: 'ReadinessGatesNotReady',
    message: 'corresponding condition of pod readiness gate "example.com/feature-1" does not exist., corresponding condition of pod readiness gate "other" does not exist.',
  })
  t.match(gated(['example.com/x']).find((c) => c.type === 'ContainersReady'), { status: 'True' }, 'ContainersReady does not look at gates')
  t.match(gated(['Initialized']).find((c) => c.type === 'Ready'), { status: 'True' }, 'a gate on a True condition kubelet made before Ready is met')
  t.match(gated(['PodScheduled']).find((c) => c.type === 'Ready'), { status: 'False', message: 'corresponding condition of pod readiness gate "PodScheduled" does not exist.' }, 'one it makes after Ready does not exist yet')
  t.match(gated(['PodReadyToStartContainers'], false).find((c) => c.type === 'Ready'), {
    status: 'False', reason: 'ReadinessGatesNotReady', message: 'the status of pod readiness gate "PodReadyToStartContainers" is not "True", but False',
  })
  const unready = podConditions({ phase: 'Running', sandboxReady: true, init: [], regular: [st('a', running)], since, readinessGates: ['x'] })
  t.match(unready.find((c) => c.type === 'Ready'), { status: 'False', reason: 'ContainersNotReady' }, 'unready containers come first')
  t.end()
})
