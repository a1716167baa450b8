import t from 'tap'
import { loadPod } from '../../../src/spec'
import { FakeClock } from '../../../src/supervisor/clock'
import { PodSupervisor, type PodResult } from '../../../src/supervisor/pod-supervisor'
import type { LifecycleAgent } from '../../../src/supervisor/lifecycle-agent'
import { NO_LIFECYCLE } from '../../../src/supervisor/lifecycle-agent'
import { FakeRuntime, fakeImages, flush } from './fixtures/fake-runtime'
import { c, supervisedPod } from './fixtures/supervised-pod'
import type { ImageResolver, ResolvedImage } from '../../../src/images/resolver'
import { HOST_IMAGE_CONFIG } from '../../../src/images/host-image'

const setup = supervisedPod

t.test('crash loop: restart counts rise monotonically with kubelet backoff 0, 10, 20, 40 s', async (t) => {
  const { sup, runtime, tick } = setup(`  restartPolicy: Always\n  containers:\n${c('app')}`)
  await tick(0)
  const restartsAt: number[] = []
  for (let i = 0; i < 5; i++) {
    const before = runtime.started.length
    runtime.running('app').exit(1)
    await tick(0)
    let waited = 0
    while (runtime.started.length === before && waited < 400_000) {
      if (i >= 1) {
        const status = sup.status().containerStatuses[0]
        t.equal(status.state.waiting?.reason, 'CrashLoopBackOff', `backing off after crash ${i + 1}`)
        t.equal(status.lastState.terminated?.exitCode, 1, 'the last termination stays visible')
      }
      await tick(1000)
      waited += 1000
    }
    restartsAt.push(waited)
    t.equal(sup.status().containerStatuses[0].restartCount, i + 1)
  }
  t.same(restartsAt, [0, 10_000, 20_000, 40_000, 80_000])
  t.match(sup.events.events.filter((e) => e.reason === 'BackOff')[0], { type: 'Warning', message: /^Back-off restarting failed container app in pod p_default\(u1\)$/ })
  sup.stop()
  await tick(0)
})

t.test('what the sandbox could not do: a warning event each', async (t) => {
  const { pod } = loadPod(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec:\n  restartPolicy: Never\n  containers:\n${c('app')}`, 'test', { newUid: () => 'unused' })
  const runtime = new FakeRuntime()
  runtime.sandboxWarnings = [{ reason: 'DeviceFilterNotSet', message: 'no filter' }, { reason: 'PodCgroupKillNotSet', message: 'no kill' }]
  const sup = new PodSupervisor(pod, { runtime, clock: new FakeClock(), images: fakeImages })
  const done = sup.run()
  await flush()
  runtime.running('app').exit(0)
  await done
  t.same(sup.events.events.filter((e) => e.reason.endsWith('NotSet') && e.reason !== 'OOMScoreAdjNotSet').map((e) => [e.type, e.reason, e.message]), [
    ['Warning', 'DeviceFilterNotSet', 'no filter'],
    ['Warning', 'PodCgroupKillNotSet', 'no kill'],
  ])
})

t.test('OnFailure: a success completes the pod, Never does not restart', async (t) => {
  const a = setup(`  restartPolicy: OnFailure\n  containers:\n${c('app')}`)
  await a.tick(0)
  a.runtime.running('app').exit(2)
  await a.tick(0)
  t.equal(a.runtime.started.length, 2, 'restarted after a failure')
  a.runtime.running('app').exit(0)
  await a.done
  t.equal(a.result()!.status.phase, 'Succeeded')
  t.equal(a.result()!.exitCode, 0)
  t.ok(a.runtime.isTornDown)

  const b = setup(`  restartPolicy: Never\n  containers:\n${c('app')}`)
  await b.tick(0)
  b.runtime.running('app').exit(3)
  await b.done
  t.equal(b.result()!.status.phase, 'Failed')
  t.equal(b.result()!.exitCode, 3)
  t.equal(b.runtime.started.length, 1)
})

t.test('init containers run one at a time, app containers wait in PodInitializing', async (t) => {
  const { sup, runtime, tick, done, result } = setup(`  restartPolicy: Never\n  initContainers:\n${c('i1')}${c('i2')}  containers:\n${c('app')}`)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['i1'])
  t.equal(sup.status().containerStatuses[0].state.waiting?.reason, 'PodInitializing')
  t.equal(sup.status().phase, 'Pending')
  runtime.running('i1').exit(0)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['i1', 'i2'])
  runtime.running('i2').exit(0)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['i1', 'i2', 'app'])
  t.equal(sup.status().phase, 'Running')
  t.match(sup.status().conditions.find((x) => x.type === 'Initialized'), { status: 'True' })
  runtime.running('app').exit(0)
  await done
  t.equal(result()!.status.phase, 'Succeeded')
})

t.test('a failing init container fails a Never pod and restarts with backoff otherwise', async (t) => {
  const never = setup(`  restartPolicy: Never\n  initContainers:\n${c('i1')}  containers:\n${c('app')}`)
  await never.tick(0)
  never.runtime.running('i1').exit(1)
  await never.done
  t.equal(never.result()!.status.phase, 'Failed')
  t.notOk(never.runtime.started.some((p) => p.name === 'app'), 'app containers never start')

  const always = setup(`  restartPolicy: Always\n  initContainers:\n${c('i1')}  containers:\n${c('app')}`)
  await always.tick(0)
  always.runtime.running('i1').exit(1)
  await always.tick(0)
  always.runtime.running('i1').exit(1)
  await always.tick(0)
  t.equal(always.sup.status().initContainerStatuses![0].state.waiting?.reason, 'CrashLoopBackOff')
  t.equal(always.sup.status().phase, 'Pending')
  await always.tick(10_000)
  always.runtime.running('i1').exit(0)
  await always.tick(0)
  t.ok(always.runtime.started.some((p) => p.name === 'app'))
  always.sup.stop()
  await always.done
})

t.test('sidecars start in order, do not block, restart, and stop after the app containers in reverse order', async (t) => {
  const { runtime, tick, done, result } = setup(`  restartPolicy: Never\n  initContainers:\n${c('s1', ', restartPolicy: Always')}${c('s2', ', restartPolicy: Always')}${c('i3')}  containers:\n${c('app')}`)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['s1', 's2', 'i3'])
  runtime.running('s2').exit(1)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['s1', 's2', 'i3', 's2'], 'an exited sidecar restarts whatever the pod policy')
  runtime.running('i3').exit(0)
  await tick(0)
  runtime.running('app').exit(0)
  await tick(0)
  await tick(0)
  await done
  const order = runtime.log.filter((l) => l.startsWith('signal')).map((l) => l.split(' ')[1])
  t.same(order, ['s2', 's1'], 'sidecars are stopped in reverse order')
  t.equal(result()!.status.phase, 'Succeeded', 'sidecars do not keep the pod from completing')
})

t.test('termination: TERM, then KILL at the grace period (2 s minimum)', async (t) => {
  const { sup, runtime, tick, done } = setup(`  terminationGracePeriodSeconds: 5\n  containers:\n${c('stubborn')}${c('polite')}`)
  runtime.ignoreTerm.add('stubborn')
  await tick(0)
  sup.stop()
  await tick(0)
  t.same(runtime.running('polite').signals, [15])
  t.same(runtime.running('stubborn').signals, [15])
  await tick(4999)
  t.same(runtime.running('stubborn').signals, [15], 'no KILL before the grace period')
  await tick(1)
  t.same(runtime.running('stubborn').signals, [15, 9])
  await done

  const zero = setup(`  terminationGracePeriodSeconds: 0\n  containers:\n${c('stubborn')}`)
  zero.runtime.ignoreTerm.add('stubborn')
  await zero.tick(0)
  zero.sup.stop()
  await zero.tick(1999)
  t.same(zero.runtime.running('stubborn').signals, [15], 'kubelet gives at least 2 s')
  await zero.tick(1)
  t.same(zero.runtime.running('stubborn').signals, [15, 9])
  await zero.done
})

t.test('a second stop kills at once', async (t) => {
  const { sup, runtime, tick, done } = setup(`  containers:\n${c('stubborn')}`)
  runtime.ignoreTerm.add('stubborn')
  await tick(0)
  sup.stop()
  await tick(0)
  sup.stop()
  await done
  t.same(runtime.running('stubborn').signals, [15, 9])
})

t.test('preStop runs before TERM and its time counts against the grace period', async (t) => {
  let hookEnded!: () => void
  const lifecycle: LifecycleAgent = {
    ...NO_LIFECYCLE,
    preStopFor: () => () => new Promise((r) => (hookEnded = () => r(undefined))),
  }
  const { sup, runtime, tick, done } = setup(`  terminationGracePeriodSeconds: 10\n  containers:\n${c('app')}`, lifecycle)
  runtime.ignoreTerm.add('app')
  await tick(0)
  sup.stop()
  await tick(3000)
  t.same(runtime.running('app').signals, [], 'no TERM while preStop runs')
  hookEnded()
  await tick(0)
  t.same(runtime.running('app').signals, [15])
  await tick(6999)
  t.same(runtime.running('app').signals, [15], 'KILL comes at 10 s in all, not 10 s after TERM')
  await tick(1)
  t.same(runtime.running('app').signals, [15, 9])
  await done
})

t.test('a hung preStop is abandoned at the grace period, then the 2 s minimum applies', async (t) => {
  const lifecycle: LifecycleAgent = { ...NO_LIFECYCLE, preStopFor: () => () => new Promise(() => {}) }
  const { sup, runtime, tick, done } = setup(`  terminationGracePeriodSeconds: 3\n  containers:\n${c('app')}`, lifecycle)
  runtime.ignoreTerm.add('app')
  await tick(0)
  sup.stop()
  await tick(3000)
  t.same(runtime.running('app').signals, [15], 'TERM once the grace period is used up by the hook')
  await tick(2000)
  t.same(runtime.running('app').signals, [15, 9], 'KILL after the 2-second minimum')
  await done
})

t.test('a start failure is StartError, exit 128, and restarts under backoff', async (t) => {
  const { sup, runtime, tick, done, result } = setup(`  restartPolicy: Never\n  containers:\n${c('app')}`)
  runtime.failStart.set('app', new Error('execve failed'))
  await done
  await tick(0)
  const s = result()!.status.containerStatuses[0]
  t.match(s.state.terminated, { reason: 'StartError', exitCode: 128, message: 'execve failed' })
  t.equal(result()!.status.phase, 'Failed')
  t.match(sup.events.events.find((e) => e.reason === 'Failed'), { type: 'Warning', message: 'Error: execve failed' })
})

t.test('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff, no restart counted', async (t) => {
  const { pod } = loadPod('apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: app, image: nowhere/none}\n', 'test', { newUid: () => 'unused' })
  const clock = new FakeClock()
  const runtime = new FakeRuntime()
  let attempts = 0
  const images = {
    async resolve(): Promise<never> {
      attempts++
      throw Object.assign(new Error('pull image "nowhere/none": not found'), { reason: 'ErrImagePull' })
    },
  }
  const sup = new PodSupervisor(pod, { runtime, clock, images })
  const done = sup.run()
  await flush()
  const first = sup.status().containerStatuses[0]
  t.equal(attempts, 1, 'no second pull within the backoff')
  t.equal(first.state.waiting?.reason, 'ImagePullBackOff')
  t.equal(first.restartCount, 0)
  clock.advance(9_999)
  await flush()
  t.equal(attempts, 1)
  clock.advance(1)
  await flush()
  t.equal(attempts, 2, 'the next pull after the 10 s backoff')
  clock.advance(20_000)
  await flush()
  t.equal(attempts, 3, 'then after 20 s')
  t.equal(sup.status().phase, 'Pending', 'a pod whose image is missing stays Pending')
  const messages = sup.events.events.map((e) => `${e.reason} ${e.message}`)
  t.ok(messages.includes('Failed Failed to pull image "nowhere/none": pull image "nowhere/none": not found'))
  t.ok(messages.includes('Failed Error: ErrImagePull'))
  t.ok(messages.includes('BackOff Back-off pulling image "nowhere/none"'))
  t.ok(messages.includes('Failed Error: ImagePullBackOff'))
  sup.stop()
  await done
  t.equal(runtime.started.length, 0)
})

/** An image resolver whose pulls end when the test says: resolveNext() ends the oldest one. */
function slowImages() {
  const waiting: Array<() => void> = []
  const released: string[] = []
  return {
    released,
    resolveNext: () => waiting.shift()?.(),
    resolver: {
      async resolve(image: string): Promise<ResolvedImage> {
        await new Promise<void>((resolve) => waiting.push(resolve))
        return { ref: image, imageId: `sha256:${image}`, statusImage: image, imageRef: `sha256:${image}`, config: HOST_IMAGE_CONFIG, rootfs: { kind: 'entries', entries: [] }, lookupRoot: '/' }
      },
      release(image: ResolvedImage): void {
        released.push(image.imageId)
      },
    },
  }
}

function setupWith(spec: string, images: ImageResolver) {
  const { pod } = loadPod(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec:\n${spec}`, 'test', { newUid: () => 'unused' })
  const runtime = new FakeRuntime()
  const clock = new FakeClock()
  const sup = new PodSupervisor(pod, { runtime, clock, images })
  let result: PodResult | undefined
  const done = sup.run().then((r) => (result = r))
  return { sup, runtime, clock, done, result: () => result }
}

t.test('a stop while an image is pulled: the pod ends once the pull does, starting nothing', async (t) => {
  const images = slowImages()
  const { sup, runtime, done, result } = setupWith(`  containers:\n${c('side')}  - {name: app, image: far/away}\n`, images.resolver)
  await flush()
  images.resolveNext()
  await flush()
  t.same(runtime.started.map((p) => p.name), ['side'], 'app is still pulling')
  sup.stop()
  await flush()
  t.equal(result(), undefined, 'waits for the pull')
  images.resolveNext()
  await done
  t.same(runtime.started.map((p) => p.name), ['side'], 'app never started')
  t.equal(result()!.exitCode, 0, 'stopped cleanly')
  t.same(images.released.sort(), ['sha256:far/away', 'sha256:podshim/host'], 'every image it resolved is released after teardown')
})

t.test('a stop waits for a pull at most the grace period', async (t) => {
  const images = slowImages()
  const { sup, runtime, clock, done, result } = setupWith(`  terminationGracePeriodSeconds: 5\n  containers:\n  - {name: app, image: far/away}\n`, images.resolver)
  await flush()
  sup.stop()
  clock.advance(4999)
  await flush()
  t.equal(result(), undefined, 'still waiting within the grace period')
  clock.advance(1)
  await done
  t.ok(runtime.isTornDown, 'torn down at the grace period with the pull still under way')
  t.equal(result()!.exitCode, 0, 'stopped cleanly')
  images.resolveNext()
  await flush()
  t.same(runtime.started, [], 'and the late pull starts nothing')
})

t.test('a second stop does not wait for a pull', async (t) => {
  const images = slowImages()
  const { sup, runtime, done } = setupWith(`  containers:\n  - {name: app, image: far/away}\n`, images.resolver)
  await flush()
  sup.stop()
  sup.stop()
  await done
  t.ok(runtime.isTornDown, 'torn down with the pull still under way')
  images.resolveNext()
  await flush()
  t.same(runtime.started, [], 'and the late pull starts nothing')
})

t.test('a stop while a failed pod is already stopping keeps its failure', async (t) => {
  const { sup, runtime, tick, done, result } = setup(`  restartPolicy: Never\n  terminationGracePeriodSeconds: 5\n  initContainers:\n  - {name: sc, image: podshim/host, restartPolicy: Always}\n  containers:\n${c('app')}`)
  runtime.ignoreTerm.add('sc')
  await tick(0)
  await tick(0)
  runtime.running('app').exit(3)
  await tick(1000)
  t.equal(result(), undefined, 'the sidecar is still being stopped')
  sup.stop()
  await tick(0)
  await tick(5000)
  await done
  t.equal(result()!.exitCode, 3, 'the app\'s failure, not a clean stop')
})

t.test('containers killed because pause is dying are not restarted; pause\'s exit fails the pod', async (t) => {
  const { runtime, tick, done, result } = setup(`  restartPolicy: Always\n  containers:\n${c('a')}${c('b')}`)
  await tick(0)
  runtime.isPauseExiting = true
  runtime.running('a').exit(null, 9)
  runtime.running('b').exit(null, 9)
  await tick(0)
  t.equal(runtime.started.length, 2, 'no restart into a PID namespace without init')
  runtime.sandboxExit({ code: null, signal: 9, coreDumped: false })
  await done
  const r = result()!
  t.equal(r.status.phase, 'Failed')
  t.same(r.status.containerStatuses.map((s) => s.state.terminated?.exitCode), [137, 137], 'their real ends, not a StartError')
  t.equal(r.exitCode, 137)
})

t.test('each condition\'s lastTransitionTime is when it changed, not when the status was asked for', async (t) => {
  const { runtime, clock, tick, done, result } = setup(`  restartPolicy: Never\n  containers:\n${c('app')}`)
  await tick(0)
  const started = clock.now().toISOString().replace(/\.\d+Z$/, 'Z')
  await tick(5000)
  runtime.running('app').exit(0)
  await done
  const ended = clock.now().toISOString().replace(/\.\d+Z$/, 'Z')
  t.not(started, ended)
  const at = (type: string): string | undefined => result()!.status.conditions.find((c) => c.type === type)?.lastTransitionTime
  t.equal(at('PodScheduled'), started)
  t.equal(at('Initialized'), started)
  t.equal(at('Ready'), ended, 'ready while it ran, not since it completed')
  t.equal(at('PodReadyToStartContainers'), ended, 'no sandbox since the teardown')
})
