import t from 'tap'

import { EventRecorder, containerFieldPath } from '../../../src/supervisor/events'
import type { Clock } from '../../../src/supervisor/clock'

const clock = { now: () => new Date(0) } as unknown as Clock

t.test('a repeated event counts on from the latest of its kind', (t) => {
  const events = new EventRecorder(clock)
  const path = containerFieldPath('web', false)
  const counts = [1, 2, 3].map(() => events.warning('BackOff', 'back-off restarting failed container', path).count)
  t.same(counts, [1, 2, 3])
  t.equal(events.normal('BackOff', 'back-off restarting failed container', path).count, 1, 'another type is another event')
  t.equal(events.warning('BackOff', 'back-off restarting failed container', containerFieldPath('web', true)).count, 1, 'so is another object')
  t.end()
})
