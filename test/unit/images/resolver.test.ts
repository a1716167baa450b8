// kubelet's Pulled event text and Go's duration format for it.
import t from 'tap'

import { pulledMessage } from '../../../src/images/resolver'
import { formatGoDuration } from '../../../src/go-duration'

t.test('Go duration strings, truncated to milliseconds', async (t) => {
  const cases: [number, string][] = [
    [0, '0s'], [0.9, '0s'], [1, '1ms'], [850.7, '850ms'], [1000, '1s'], [1200, '1.2s'], [1234, '1.234s'],
    [1005, '1.005s'], [59_999, '59.999s'], [60_000, '1m0s'], [65_200, '1m5.2s'], [3_600_000, '1h0m0s'], [3_725_010, '1h2m5.01s'],
  ]
  for (const [ms, text] of cases) t.equal(formatGoDuration(ms), text, `${ms} ms`)
})

t.test('Pulled messages as kubelet words them', async (t) => {
  t.equal(pulledMessage('busybox:1.28', undefined), 'Container image "busybox:1.28" already present on machine')
  t.equal(pulledMessage('busybox:1.28', { durationMs: 2345.6 }), 'Successfully pulled image "busybox:1.28" in 2.345s')
})
