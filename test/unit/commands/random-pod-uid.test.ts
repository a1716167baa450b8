import t from 'tap'

import { randomPodUid } from '../../../src/commands/random-pod-uid'

t.test('a random version 4 UUID, a new one each time', async (t) => {
  const uids = new Set(Array.from({ length: 1000 }, () => randomPodUid()))
  t.equal(uids.size, 1000)
  for (const uid of uids) t.match(uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})
