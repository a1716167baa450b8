import t from 'tap'

import { isoTimestamp, rfc3339, rfc3339Nano, timeOfDay, wallClockNs } from '../../src/utc-time'

t.test('each format matches toISOString where they overlap, across the edges of days, years and ms', async (t) => {
  const times = [0, 1, 999, 1000, 59_999, Date.UTC(2016, 9, 6, 0, 17, 9, 669), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1970, 0, 1, 12)]
  for (const ms of [...times, Date.now()]) {
    const date = new Date(ms)
    const iso = date.toISOString()
    t.equal(isoTimestamp(date), iso, iso)
    t.equal(rfc3339(date), iso.replace(/\.\d+Z$/, 'Z'))
    t.equal(rfc3339Nano(BigInt(ms) * 1_000_000n), `${iso.slice(0, 19)}${`.${iso.slice(20, 23)}`.replace(/\.?0+$/, '')}Z`)
    t.equal(timeOfDay(date), iso.slice(11, 23))
  }
})

t.test('Kubernetes-style values', async (t) => {
  const date = new Date(Date.UTC(2016, 9, 6, 0, 17, 9, 669))
  t.equal(rfc3339(date), '2016-10-06T00:17:09Z')
  t.equal(rfc3339Nano(BigInt(date.getTime()) * 1_000_000n + 12_345n), '2016-10-06T00:17:09.669012345Z')
  t.equal(timeOfDay(date), '00:17:09.669')
})

t.test('an invalid date or a year beyond four digits is a RangeError, as with toISOString', async (t) => {
  t.throws(() => rfc3339(new Date(Number.NaN)), RangeError)
  t.throws(() => isoTimestamp(new Date(Date.UTC(10000, 0, 1))), RangeError)
  t.throws(() => timeOfDay(new Date(Date.UTC(-1, 0, 1))), RangeError)
})

t.test('RFC3339Nano as Go writes it: trailing zeros of the fraction dropped, with the dot of a whole second', async (t) => {
  const second = BigInt(Date.UTC(2016, 9, 6, 0, 17, 9)) * 1_000_000n
  t.equal(rfc3339Nano(second), '2016-10-06T00:17:09Z')
  t.equal(rfc3339Nano(second + 500_000_000n), '2016-10-06T00:17:09.5Z')
  t.equal(rfc3339Nano(second + 669_000_000n), '2016-10-06T00:17:09.669Z')
  t.equal(rfc3339Nano(second + 1n), '2016-10-06T00:17:09.000000001Z')
  t.equal(rfc3339Nano(second + 999_999_999n), '2016-10-06T00:17:09.999999999Z')
})

t.test('the wall clock in ns: the system time, and in order', async (t) => {
  const a = wallClockNs()
  const b = wallClockNs()
  t.ok(b >= a, 'never backwards')
  const drift = Number(a / 1_000_000n) - Date.now()
  t.ok(Math.abs(drift) < 1000, `within a second of Date.now() (${drift} ms)`)
})

t.test('a wall clock that was set or stepped wins over the monotonic one', async (t) => {
  const realNow = Date.now
  t.teardown(() => {
    Date.now = realNow
  })
  wallClockNs()
  Date.now = () => realNow() + 60_000
  const stepped = Number(wallClockNs() / 1_000_000n) - realNow()
  t.ok(stepped >= 59_000 && stepped <= 61_000, `a minute ahead, as the wall clock now is (${stepped} ms)`)
  Date.now = realNow
  const back = Number(wallClockNs() / 1_000_000n) - realNow()
  t.ok(Math.abs(back) < 1000, `and back with it (${back} ms)`)
})
