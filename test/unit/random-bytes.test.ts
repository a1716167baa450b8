import t from 'tap'

import { randomBytes } from '../../src/random-bytes'

t.test('as many random bytes as asked for, different each time', async (t) => {
  t.equal(randomBytes(32).length, 32)
  t.equal(randomBytes(256).length, 256)
  t.not(randomBytes(16).toString('hex'), randomBytes(16).toString('hex'))
})

t.test('a size /dev/urandom cannot fill in one read is refused', async (t) => {
  t.throws(() => randomBytes(0), RangeError)
  t.throws(() => randomBytes(257), /read random bytes: size must be 1\.\.256 \(got 257\)/)
})
