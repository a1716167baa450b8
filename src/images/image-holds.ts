// Which images running pods use, so that `image rm`/`image prune` never
// remove them: a resolver holds an image by creating
// `holds/<image hex>.<pid>` and releases it by removing the file; a hold
// whose process has died no longer counts (and is swept). Kept in the image
// root rather than the pod state so a store needs nothing else to decide.
//
// The store's GC lock orders removal against use: `image rm`/`prune` and
// their garbage collection run under it, and so do the start of a pull
// (its "pulling" mark) and a hold's check-and-take. A sweep therefore never
// runs between a pull's first blob and its record, nor between a pod
// finding an image and holding it.
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { digestHex } from './store'
import { isProcessAlive, withLock } from './store-lock'
import { unmountView } from './image-views'

/** Runs fn under the store's GC lock (not re-entrant: flock(2) on a fresh open file). */
export function withGcLock<T>(imageRoot: string, fn: () => T): T {
  return withLock(join(imageRoot, 'locks'), 'gc', fn)
}

/**
 * Hold the image unless it has been removed meanwhile (check and hold under
 * the GC lock); false when it is gone.
 */
export function holdImageIfPresent(imageRoot: string, id: string, isPresent: () => boolean): boolean {
  return withGcLock(imageRoot, () => {
    if (!isPresent()) return false
    writeFileSync(join(imageRoot, 'holds', `${digestHex(id)}.${process.pid}`), '')
    return true
  })
}

/**
 * Release this process's hold of the image; the last hold of a live
 * process to go unmounts its lookup view (under the GC lock, where a pod
 * takes its hold before it mounts the view: a pod that holds it after
 * this mounts it again).
 */
export function releaseImage(imageRoot: string, id: string, pid = process.pid): void {
  const hex = digestHex(id)
  withGcLock(imageRoot, () => {
    rmSync(join(imageRoot, 'holds', `${hex}.${pid}`), { force: true })
    const others = readdirSync(join(imageRoot, 'holds')).filter((name) => name.startsWith(`${hex}.`))
    if (!others.some((name) => isProcessAlive(Number(name.slice(hex.length + 1))))) unmountView(imageRoot, id)
  })
}

/** image IDs held by live processes (and "pulling" while one pulls); holds of dead ones are removed */
export function heldImages(imageRoot: string): Set<string> {
  const held = new Set<string>()
  for (const name of readdirSync(join(imageRoot, 'holds'))) {
    const [hex, pid] = name.split('.')
    if (isProcessAlive(Number(pid))) held.add(hex === 'pulling' ? hex : `sha256:${hex}`)
    else rmSync(join(imageRoot, 'holds', name), { force: true })
  }
  return held
}

let pulls = 0

/**
 * Mark a pull of this process in progress until the returned function is
 * called: GC leaves blobs and layers alone meanwhile. Each pull has its own
 * mark (pulling.<pid>.<n>), so the first of two pulls to end does not
 * unmark the other.
 */
export function markPulling(imageRoot: string): () => void {
  const path = join(imageRoot, 'holds', `pulling.${process.pid}.${++pulls}`)
  withGcLock(imageRoot, () => writeFileSync(path, ''))
  return () => rmSync(path, { force: true })
}
