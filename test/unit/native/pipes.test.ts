import t from 'tap'

import { makePipes } from '../../../src/native/pipes'

function fakeNative(failAt: number): { pipe(): [number, number]; close(fd: number): void; closed: number[] } {
  let made = 0
  const closed: number[] = []
  return {
    closed,
    pipe() {
      if (++made === failAt) throw Object.assign(new Error('EMFILE: too many open files, pipe2'), { code: 'EMFILE' })
      return [made * 10, made * 10 + 1]
    },
    close: (fd) => void closed.push(fd),
  }
}

t.test('all the pipes asked for', async (t) => {
  const native = fakeNative(0)
  t.same(makePipes(native, 3), [[10, 11], [20, 21], [30, 31]])
  t.same(native.closed, [])
})

t.test('a failing pipe2 closes the pipes already made, then throws its error', async (t) => {
  const native = fakeNative(3)
  t.throws(() => makePipes(native, 3), { code: 'EMFILE' })
  t.same(native.closed, [10, 11, 20, 21])
})
