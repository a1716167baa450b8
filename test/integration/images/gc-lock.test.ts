// The store's GC lock orders removal against use (image-holds.ts): image
// removal and pruning, the start of a pull and a pod's hold all wait for a
// holder of it, here a child process (flock(2) locks conflict between
// processes as they do between podshim commands).
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { pruneImages } from '../../../src/images/image-gc'
import { heldImages, holdImageIfPresent, markPulling } from '../../../src/images/image-holds'
import { ImageStore } from '../../../src/images/store'
import { tempDir } from './fixtures/temp-dirs'

const HOLD_MS = 300

/**
 * A child node process takes flock(LOCK_EX) on the store's gc.lock through
 * ffi-rs, holds it HOLD_MS, then notes the time (Date.now) and releases it.
 * Resolves once it holds the lock; released() gives the time it noted.
 */
async function lockHeldElsewhere(t: Test, store: ImageStore): Promise<{ released(): Promise<number> }> {
  const script = `
    const ffi = require(process.argv[1])
    const fs = require('node:fs')
    const fd = fs.openSync(process.argv[2], 'a')
    ffi.open({ library: 'libc', path: 'libc.so.6' })
    const taken = ffi.load({ library: 'libc', funcName: 'flock', retType: ffi.DataType.I32,
      paramsType: [ffi.DataType.I32, ffi.DataType.I32], paramsValue: [fd, 2 /* LOCK_EX */] })
    if (taken !== 0) process.exit(1)
    process.stdout.write('locked\\n')
    setTimeout(() => {
      process.stdout.write('releasing ' + Date.now() + '\\n')
      fs.closeSync(fd)
    }, ${HOLD_MS})`
  const child = spawn(process.execPath, ['-e', script, require.resolve('ffi-rs'), join(store.root, 'locks', 'gc.lock')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  t.teardown(async () => {
    child.kill('SIGKILL')
    await exited
  })
  let output = ''
  const seen = (re: RegExp): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const m = re.exec(output)
      if (m !== null) resolve(m)
    }
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); check() })
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}: ${output}`)))
    check()
  })
  await seen(/^locked$/m)
  return { released: async () => Number((await seen(/^releasing (\d+)$/m))[1]) }
}

/** Runs fn, which must wait for the lock, and checks it returned only after the holder let go. */
async function waitsForTheLock(t: Test, holder: { released(): Promise<number> }, fn: () => void): Promise<void> {
  fn()
  const returnedAt = Date.now()
  t.ok(returnedAt >= await holder.released(), 'it returned only after the holder let go')
}

t.test('prune waits for the GC lock', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const holder = await lockHeldElsewhere(t, store)
  await waitsForTheLock(t, holder, () => t.same(pruneImages(store), []))
})

t.test('a pull marks itself under the GC lock, so no sweep runs between its first blob and its record', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const holder = await lockHeldElsewhere(t, store)
  let unmark = (): void => undefined
  await waitsForTheLock(t, holder, () => { unmark = markPulling(store.root) })
  t.match(readdirSync(join(store.root, 'holds')), [new RegExp(`^pulling\\.${process.pid}\\.\\d+$`)])
  unmark()
  t.same(readdirSync(join(store.root, 'holds')), [])
})

t.test('a hold is taken only if the image is still there, under the GC lock', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const id = `sha256:${'ab'.repeat(32)}`
  t.equal(holdImageIfPresent(store.root, id, () => false), false, 'removed meanwhile: no hold')
  t.same(readdirSync(join(store.root, 'holds')), [])
  const holder = await lockHeldElsewhere(t, store)
  await waitsForTheLock(t, holder, () => t.equal(holdImageIfPresent(store.root, id, () => true), true))
  t.ok(existsSync(join(store.root, 'holds', `${'ab'.repeat(32)}.${process.pid}`)))
})

t.test('each pull has its own mark: the first to end leaves the other marked', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const first = markPulling(store.root)
  const second = markPulling(store.root)
  first()
  t.ok(heldImages(store.root).has('pulling'))
  second()
  t.notOk(heldImages(store.root).has('pulling'))
})

t.test('GC removes what nothing refers to, through a trash directory it empties', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  writeFileSync(join(store.root, 'blobs/sha256', 'cd'.repeat(32)), 'orphan')
  mkdirSync(join(store.root, 'layers/sha256', 'ef'.repeat(32), 'usr'), { recursive: true })
  writeFileSync(join(store.root, 'tmp', 'pull.2147483646.abc'), 'left by a dead pull')
  writeFileSync(join(store.root, 'tmp', `pull.${process.pid}.abc`), 'a pull of this live process')
  t.same(pruneImages(store), [])
  t.same(readdirSync(join(store.root, 'blobs/sha256')), [])
  t.same(readdirSync(join(store.root, 'layers/sha256')), [])
  t.same(readdirSync(join(store.root, 'tmp')), [`pull.${process.pid}.abc`], 'the trash is gone, the live pull\'s file stays')
})
