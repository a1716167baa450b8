import t from 'tap'

import { isoTimestamp, rfc3339, rfc3339Nano, timeOfDay } from '../../src/utc-time'

t.test('each format matches toISOString where they overlap, across the edges of days, years and ms', async (t) => {
  const times = [0, 1, 999, 1000, 59_999, Date.UTC(2016, 9, 6, 0, 17, 9, 669), Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1970, 0, 1, 12)]
  for (const ms of [...times, Date.now()]) {
    const date = new Date(ms)
    const iso = date.toISOString()
    t.equal(isoTimestamp(date), iso, iso)
    t.equal(rfc3339(date), iso.replace(/\.\d+Z$/, 'Z'))
    t.equal(rfc3339Nano(date), `${iso.slice(0, 23)}000000Z`)
    t.equal(timeOfDay(date), iso.slice(11, 23))
  }
})

t.test('Kubernetes-style values', async (t) => {
  const date = new Date(Date.UTC(2016, 9, 6, 0, 17, 9, 669))
  t.equal(rfc3339(date), '2016-10-06T00:17:09Z')
  t.equal(rfc3339Nano(date), '2016-10-06T00:17:09.669000000Z')
  t.equal(timeOfDay(date), '00:17:09.669')
})

t.test('an invalid date or a year beyond four digits is a RangeError, as with toISOString', async (t) => {
  t.throws(() => rfc3339(new Date(Number.NaN)), RangeError)
  t.throws(() => isoTimestamp(new Date(Date.UTC(10000, 0, 1))), RangeError)
  t.throws(() => timeOfDay(new Date(Date.UTC(-1, 0, 1))), RangeError)
})
