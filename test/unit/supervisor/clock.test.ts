// The system clock's timers: scaled, and a wait longer than setTimeout takes
// (2^31-1 ms, 24.8 days: a terminationGracePeriodSeconds of 3000000 is valid
// in Kubernetes) waits, instead of firing at once.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { systemClock } from '../../../src/supervisor/clock'

t.test('a wait past 2^31-1 ms does not fire early', async (t) => {
  const warnings: string[] = []
  const onWarning = (w: Error): void => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  let fired = false
  const timer = systemClock().after(3_000_000 * 1000, () => (fired = true))
  await sleep(50)
  timer.cancel()
  t.notOk(fired, 'still waiting')
  t.same(warnings, [], 'no TimeoutOverflowWarning')
})

t.test('waits are kubelet milliseconds divided by the scale; cancel stops one', async (t) => {
  const clock = systemClock(100)
  const order: string[] = []
  const cancelled = clock.after(1000, () => order.push('cancelled'))
  clock.after(2000, () => order.push('20 ms'))
  cancelled.cancel()
  await sleep(100)
  t.same(order, ['20 ms'])
  t.equal(clock.real(2000), 20)
})
