// The store's GC lock orders removal against use (image-holds.ts): image
// removal and pruning, the start of a pull and a pod's hold all wait for a
// holder of it, here a child process (flock(2) locks conflict between
// processes as they do between podshim commands).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { pruneImages } from '../../../src/images/image-gc'
import { holdImageIfPresent, markPulling } from '../../../src/images/image-holds'
import { ImageStore } from '../../../src/images/store'
import { tempDir } from './fixtures/temp-dirs'

const HOLD_MS = 800

/**
 * A child node process takes flock(LOCK_EX) on the store's gc.lock through
 * ffi-rs and holds it for HOLD_MS from when this resolves.
 */
async function lockHeldElsewhere(t: Test, store: ImageStore): Promise<void> {
  const script = `
    const ffi = require(process.argv[1])
    const fd = require('node:fs').openSync(process.argv[2], 'a')
    ffi.open({ library: 'libc', path: 'libc.so.6' })
    const taken = ffi.load({ library: 'libc', funcName: 'flock', retType: ffi.DataType.I32,
      paramsType: [ffi.DataType.I32, ffi.DataType.I32], paramsValue: [fd, 2 /* LOCK_EX */] })
    if (taken !== 0) process.exit(1)
    process.stdout.write('locked\\n')
    setTimeout(() => undefined, ${HOLD_MS})`
  const child = spawn(process.execPath, ['-e', script, require.resolve('ffi-rs'), join(store.root, 'locks', 'gc.lock')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  t.teardown(async () => {
    child.kill('SIGKILL')
    await exited
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code} before locking`)))
  })
}

function msTaken(fn: () => void): number {
  const start = performance.now()
  fn()
  return performance.now() - start
}

t.test('prune waits for the GC lock', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await lockHeldElsewhere(t, store)
  t.ok(msTaken(() => t.same(pruneImages(store), [])) >= HOLD_MS * 0.75, 'it ran only after the holder let go')
})

t.test('a pull marks itself under the GC lock, so no sweep runs between its first blob and its record', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await lockHeldElsewhere(t, store)
  let unmark = (): void => undefined
  t.ok(msTaken(() => { unmark = markPulling(store.root) }) >= HOLD_MS * 0.75)
  t.same(readdirSync(join(store.root, 'holds')), [`pulling.${process.pid}`])
  unmark()
  t.same(readdirSync(join(store.root, 'holds')), [])
})

t.test('a hold is taken only if the image is still there, under the GC lock', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const id = `sha256:${'ab'.repeat(32)}`
  t.equal(holdImageIfPresent(store.root, id, () => false), false, 'removed meanwhile: no hold')
  t.same(readdirSync(join(store.root, 'holds')), [])
  await lockHeldElsewhere(t, store)
  t.ok(msTaken(() => t.equal(holdImageIfPresent(store.root, id, () => true), true)) >= HOLD_MS * 0.75)
  t.ok(existsSync(join(store.root, 'holds', `${'ab'.repeat(32)}.${process.pid}`)))
})
