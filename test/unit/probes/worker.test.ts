// The probe worker against a FakeClock: kubelet's worker.go rules one by one,
// and the same scenario under a scaled clock giving the same results.
import t from 'tap'
import { FakeClock, type Clock, type TimerHandle } from '../../../src/supervisor/clock'
import type { DefaultedProbe } from '../../../src/spec/types'
import type { HandlerResult } from '../../../src/probes/handlers'
import { ProbeWorker, type ProbeTargetView, type ProbeType, type ProbeWorkerOptions } from '../../../src/probes/worker'

/** A FakeClock seen through a time scale: waits shrink, now() stays wall time. */
class ScaledFakeClock implements Clock {
  constructor(readonly inner: FakeClock, readonly scale: number) {}
  now(): Date { return this.inner.now() }
  real(ms: number): number { return ms / this.scale }
  monotonicMs(): number { return this.inner.monotonicMs() * this.scale }
  after(ms: number, fn: () => void): TimerHandle { return this.inner.after(ms / this.scale, fn) }
}

function probe(extra: Partial<DefaultedProbe> = {}): DefaultedProbe {
  return { exec: { command: ['true'] }, initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...extra }
}

interface Harness {
  clock: FakeClock
  view: ProbeTargetView
  results: string[]
  events: string[]
  runs: number[]
  worker: ProbeWorker
  /** outcomes run() returns in order; the last one repeats */
  script: HandlerResult[]
  /** advance kubelet time in 100 ms steps, letting promises settle */
  advance(ms: number): Promise<void>
  start(id?: string): void
}

const ok: HandlerResult = { result: 'success', message: 'ok' }
const bad: HandlerResult = { result: 'failure', message: 'boom' }
const err: HandlerResult = { result: 'error', message: 'no such container' }

function harness(type: ProbeType, p: DefaultedProbe, opts: { scale?: number; supervisorAgoMs?: number; random?: number; runMs?: number } = {}): Harness {
  const clock = new FakeClock()
  const scale = opts.scale ?? 1
  const scaled = scale === 1 ? clock : new ScaledFakeClock(clock, scale)
  const h = {
    clock, results: [], events: [], runs: [], script: [ok],
    view: { isPodFinished: false, isTerminating: false, container: null },
  } as unknown as Harness
  const options: ProbeWorkerOptions = {
    type, probe: p, clock: scaled,
    supervisorStartedAt: new Date(clock.now().getTime() - (opts.supervisorAgoMs ?? 3_600_000)),
    random: () => opts.random ?? 0,
    observe: () => h.view,
    run: (timeoutMs) => {
      // record kubelet time (wall time × scale) since the harness began
      h.runs.push(Math.round((clock.now().getTime() - start) * scale))
      if (timeoutMs !== p.timeoutSeconds * 1000) throw new Error(`run got timeout '${timeoutMs}'`)
      const next = h.script.length > 1 ? h.script.shift()! : h.script[0]
      if (opts.runMs === undefined) return Promise.resolve(next)
      return new Promise((resolve) => scaled.after(opts.runMs!, () => resolve(next)))
    },
    onResult: (ty, result, id) => h.results.push(`${ty}:${result}:${id}`),
    onUnhealthy: (m) => h.events.push(`Unhealthy ${m}`),
    onWarning: (m) => h.events.push(`ProbeWarning ${m}`),
  }
  const start = clock.now().getTime()
  h.worker = new ProbeWorker(options)
  h.advance = async (ms) => {
    for (let done = 0; done < ms; done += 100) {
      clock.advance(100 / scale)
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    }
  }
  h.start = (id = 'c1') => {
    h.view.container = { id, runningSince: clock.now(), isTerminated: false, isStarted: type !== 'startup', willRestart: true }
  }
  return h
}

t.test('initial results per type: readiness failure, liveness success, startup unknown', async (t) => {
  for (const [type, initial] of [['readiness', 'failure'], ['liveness', 'success'], ['startup', 'unknown']] as const) {
    const h = harness(type, probe({ initialDelaySeconds: 100 }))
    h.start()
    h.worker.start()
    await h.advance(0)
    await h.advance(100)
    t.same(h.results, [`${type}:${initial}:c1`], type)
    t.same(h.runs, [], 'no run during the initial delay')
    h.worker.stop()
  }
})

t.test('jitter: rand × period when the supervisor started less than a period ago', async (t) => {
  const h = harness('readiness', probe(), { supervisorAgoMs: 2000, random: 0.5 })
  h.start()
  h.worker.start()
  await h.advance(16_000)
  t.same(h.runs, [5000, 15000], 'first probe after 0.5 × 10 s, then every period')
  h.worker.stop()
  const late = harness('readiness', probe(), { supervisorAgoMs: 60_000, random: 0.5 })
  late.start()
  late.worker.start()
  await late.advance(11_000)
  t.same(late.runs, [0, 10000], 'no jitter long after the supervisor started')
  late.worker.stop()
})

t.test('initialDelaySeconds counts from the container start, in whole seconds', async (t) => {
  const h = harness('readiness', probe({ initialDelaySeconds: 15, periodSeconds: 5 }))
  h.worker.start()
  await h.advance(2000)
  h.start()
  await h.advance(30_000)
  t.same(h.runs, [20000, 25000, 30000], 'ticks at 0,5,…; the first one at least 15 s after the start at 2 s is 20 s')
  t.same(h.results, ['readiness:failure:c1', 'readiness:success:c1'])
  h.worker.stop()
})

t.test('liveness: failureThreshold identical failures change the state, then hold until a new instance', async (t) => {
  const h = harness('liveness', probe({ periodSeconds: 1, failureThreshold: 3 }))
  h.start()
  h.script = [bad, ok, bad, bad, bad]
  h.worker.start()
  await h.advance(10_000)
  t.same(h.runs, [0, 1000, 2000, 3000, 4000], 'on hold after the third consecutive failure')
  t.same(h.results, ['liveness:success:c1', 'liveness:failure:c1'])
  t.same(h.events, Array(4).fill('Unhealthy Liveness probe failed: boom'), 'one Unhealthy event per failed attempt')
  h.script = [ok]
  h.start('c2')
  await h.advance(1000)
  t.same(h.results.slice(2), ['liveness:success:c2'], 'a new instance resets to the initial result')
  t.equal(h.runs.length, 6, 'and probing resumes')
  h.worker.stop()
})

t.test('readiness: successThreshold and failureThreshold, no hold', async (t) => {
  const h = harness('readiness', probe({ periodSeconds: 1, successThreshold: 2, failureThreshold: 2 }))
  h.start()
  h.script = [ok, bad, ok, ok, bad, bad, ok]
  h.worker.start()
  await h.advance(7000)
  t.same(h.results, ['readiness:failure:c1', 'readiness:success:c1', 'readiness:failure:c1', 'readiness:success:c1'])
  t.equal(h.runs.length, 8, 'readiness keeps probing after a failure')
  h.worker.stop()
})

t.test('probe errors are retried, then discarded without breaking a run of results', async (t) => {
  const h = harness('liveness', probe({ periodSeconds: 1, failureThreshold: 2 }))
  h.start()
  h.script = [bad, err, err, err, bad, ok]
  h.worker.start()
  await h.advance(2500)
  t.same(h.runs, [0, 1000, 1000, 1000, 2000], 'an erroring probe is tried three times at once')
  t.same(h.events, [
    'Unhealthy Liveness probe failed: boom',
    'Unhealthy Liveness probe errored and resulted in unknown state: no such container',
    'Unhealthy Liveness probe failed: boom',
  ])
  t.same(h.results, ['liveness:success:c1', 'liveness:failure:c1'], 'the two failures around the error are consecutive')
  h.worker.stop()
})

t.test('startup gates the others; after its success it stops and liveness begins', async (t) => {
  const startup = harness('startup', probe({ periodSeconds: 1, failureThreshold: 30 }))
  const liveness = harness('liveness', probe({ periodSeconds: 1 }))
  startup.start()
  liveness.view = startup.view
  liveness.clock = startup.clock
  startup.script = [bad, bad, ok]
  startup.worker.start()
  liveness.worker.start()
  await startup.advance(5000)
  await liveness.advance(0)
  t.same(startup.runs, [0, 1000, 2000], 'startup runs until its first success, then holds')
  t.same(startup.results, ['startup:unknown:c1', 'startup:success:c1'])
  t.same(liveness.runs, [], 'liveness waits while the container is not started')
  startup.view.container!.isStarted = true
  await liveness.advance(2000)
  t.ok(liveness.runs.length >= 2, 'liveness runs once started')
  startup.worker.stop()
  liveness.worker.stop()
})

t.test('a final startup failure holds the startup probe too', async (t) => {
  const h = harness('startup', probe({ periodSeconds: 1, failureThreshold: 2 }))
  h.start()
  h.script = [bad]
  h.worker.start()
  await h.advance(5000)
  t.same(h.runs, [0, 1000])
  t.same(h.results, ['startup:unknown:c1', 'startup:failure:c1'])
  t.same(h.events, Array(2).fill('Unhealthy Startup probe failed: boom'))
  h.worker.stop()
})

t.test('terminating: liveness and startup report success and stop, readiness keeps probing', async (t) => {
  for (const type of ['liveness', 'startup', 'readiness'] as const) {
    const h = harness(type, probe({ periodSeconds: 1 }))
    h.start()
    h.script = [bad]
    h.worker.start()
    await h.advance(1500)
    h.view.isTerminating = true
    await h.advance(3000)
    if (type === 'readiness') {
      t.equal(h.runs.length, 5, 'readiness still runs')
      t.ok(h.worker.isRunning)
    } else {
      t.equal(h.results.at(-1), `${type}:success:c1`, `${type} ends on success`)
      t.equal(h.runs.length, 2, `${type} stops probing`)
      t.notOk(h.worker.isRunning)
    }
    h.worker.stop()
  }
})

t.test('a non-running container is a failure; the worker ends when it will not restart', async (t) => {
  const h = harness('readiness', probe({ periodSeconds: 1 }))
  h.start()
  h.worker.start()
  await h.advance(1500)
  t.same(h.results, ['readiness:failure:c1', 'readiness:success:c1'])
  h.view.container = { ...h.view.container!, runningSince: null, isTerminated: true, willRestart: true }
  await h.advance(1000)
  t.equal(h.results.at(-1), 'readiness:failure:c1')
  t.ok(h.worker.isRunning, 'kept for the restarted instance')
  h.view.container.willRestart = false
  await h.advance(1000)
  t.notOk(h.worker.isRunning, 'ended: the container will not run again')
  t.equal(h.runs.length, 2)
})

t.test('the pod finished: the worker ends', async (t) => {
  const h = harness('readiness', probe({ periodSeconds: 1 }))
  h.start()
  h.worker.start()
  await h.advance(500)
  h.view.isPodFinished = true
  await h.advance(1000)
  t.notOk(h.worker.isRunning)
})

t.test('a warning is a success plus a ProbeWarning event', async (t) => {
  const h = harness('readiness', probe({ periodSeconds: 1 }))
  h.start()
  h.script = [{ result: 'warning', message: 'Probe terminated redirects, Response body: ' }]
  h.worker.start()
  await h.advance(500)
  t.same(h.results, ['readiness:failure:c1', 'readiness:success:c1'])
  t.same(h.events, ['ProbeWarning Readiness probe warning: Probe terminated redirects, Response body: '])
  h.worker.stop()
})

t.test('a probe slower than the period runs again right after; trigger probes at once', async (t) => {
  const h = harness('readiness', probe({ periodSeconds: 1 }), { runMs: 1500 })
  h.start()
  h.worker.start()
  await h.advance(4000)
  t.same(h.runs, [0, 1500, 3000], 'missed ticks collapse into one immediate run')
  h.worker.stop()
  const g = harness('readiness', probe({ periodSeconds: 10 }))
  g.start()
  g.worker.start()
  await g.advance(2000)
  g.worker.trigger()
  await g.advance(9000)
  t.same(g.runs, [0, 2000, 10000], 'a manual run does not move the ticker')
  g.worker.stop()
})

t.test('the clock scale does not change the logic', async (t) => {
  const scenario = async (scale: number): Promise<[number[], string[], string[]]> => {
    const h = harness('liveness', probe({ periodSeconds: 10, initialDelaySeconds: 15, failureThreshold: 2 }), { scale, supervisorAgoMs: 0, random: 0.25 })
    h.start()
    h.script = [ok, bad, err, err, err, bad, ok]
    h.worker.start()
    await h.advance(80_000)
    h.worker.stop()
    return [h.runs, h.results, h.events]
  }
  const [runs1, results1, events1] = await scenario(1)
  const [runs10, results10, events10] = await scenario(10)
  t.same(runs1, [22500, 32500, 42500, 42500, 42500, 52500], 'jitter 2.5 s, ticks before 15 s skipped, retries at once, hold after two failures')
  t.same(runs10, runs1, 'the same probe times, in kubelet time, at scale 10')
  t.same(results1, ['liveness:success:c1', 'liveness:failure:c1'])
  t.same(results10, results1, 'the same results')
  t.same(events10, events1, 'the same events')
})
