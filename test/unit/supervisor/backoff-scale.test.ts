// The crash-loop backoff under --time-scale: its delays and its reset (a
// container that ran 2 x 300 s starts over at 10 s) are kubelet times, so
// both pass at the scale, whatever the wall clock does.
import t from 'tap'
import { loadPod } from '../../../src/spec'
import { FakeClock } from '../../../src/supervisor/clock'
import { PodSupervisor } from '../../../src/supervisor/pod-supervisor'
import { FakeRuntime, fakeImages, flush } from './fixtures/fake-runtime'
import { c } from './fixtures/supervised-pod'

/** A clock at --time-scale 10: kubelet time (timers, monotonicMs) runs ten times faster than the wall time now() tells. */
class ScaledClock extends FakeClock {
  private readonly start = Date.UTC(2026, 0, 1)
  override now(): Date {
    return new Date(this.start + (this.monotonicMs() - this.start) / 10)
  }
}

t.test('a container that ran 10 minutes of kubelet time restarts at once, its backoff reset, also under --time-scale', async (t) => {
  const { pod } = loadPod(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, uid: u1}\nspec:\n  restartPolicy: Always\n  containers:\n${c('app')}`, 'test', { newUid: () => 'unused' })
  const clock = new ScaledClock()
  const runtime = new FakeRuntime()
  const sup = new PodSupervisor(pod, { runtime, clock, images: fakeImages })
  const done = sup.run()
  const tick = async (ms: number): Promise<void> => {
    await flush()
    clock.advance(ms)
    await flush()
  }
  await tick(0)
  // four quick crashes: the delay is up to 80 s
  for (let i = 0; i < 4; i++) {
    const before = runtime.started.length
    runtime.running('app').exit(1)
    while (runtime.started.length === before) await tick(1000)
  }
  t.equal(sup.status().containerStatuses[0].restartCount, 4)
  // then 620 s of clean running (62 s of wall time) before it fails again
  await tick(620_000)
  const before = runtime.started.length
  runtime.running('app').exit(1)
  await tick(0)
  t.equal(runtime.started.length, before + 1, 'restarted at once: 2 x 300 s of kubelet time reset the backoff')
  sup.stop()
  await tick(0)
  await done
})
