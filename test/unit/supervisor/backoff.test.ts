import t from 'tap'
import { CrashLoopBackoff, shouldRestart, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS } from '../../../src/supervisor/backoff'
import { formatGoDuration } from '../../../src/go-duration'

t.test('first restart is immediate, then 10s doubling to the 300s cap', (t) => {
  const b = new CrashLoopBackoff()
  let now = 1_000_000
  const waits: number[] = []
  for (let i = 0; i < 8; i++) {
    const wait = b.waitMs(now, now) // crashed right now
    waits.push(wait)
    now += wait
    b.next(now)
  }
  t.same(waits, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000])
  t.end()
})

t.test('the wait counts from when the container finished', (t) => {
  const b = new CrashLoopBackoff()
  b.next(0)
  t.equal(b.waitMs(7_000, 3_000), 6_000, '10 s delay, 4 s already passed since the exit')
  t.equal(b.waitMs(20_000, 3_000), 0, 'delay already over')
  t.end()
})

t.test('reset after running stably for twice the max (10 minutes)', (t) => {
  const b = new CrashLoopBackoff()
  b.next(0)
  b.next(10_000)
  t.equal(b.currentMs, 20_000)
  const finished = 10_000 + 2 * MAX_BACKOFF_MS + 1
  t.equal(b.waitMs(finished, finished), 0, 'no wait after a long clean run')
  b.next(finished)
  t.equal(b.currentMs, INITIAL_BACKOFF_MS, 'starts over at 10 s')
  t.end()
})

t.test('restartPolicy', (t) => {
  t.ok(shouldRestart('Always', 0))
  t.ok(shouldRestart('Always', 1))
  t.notOk(shouldRestart('OnFailure', 0))
  t.ok(shouldRestart('OnFailure', 2))
  t.notOk(shouldRestart('Never', 1))
  t.end()
})

t.test('durations as Go prints them', (t) => {
  t.equal(formatGoDuration(10_000), '10s')
  t.equal(formatGoDuration(300_000), '5m0s')
  t.equal(formatGoDuration(80_000), '1m20s')
  t.end()
})
