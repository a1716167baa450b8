// Removing images and reclaiming their space: `image rm` drops names (and
// the image once it has none), `image prune` removes every image no running
// pod holds; both then delete blobs and unpacked layers that no remaining
// image refers to, and temp files of pulls whose process has died. Held
// images (image-holds.ts) are never removed, so a running pod's lower
// layers cannot vanish under it. Both run under the store's GC lock, which
// pulls and holds take too (image-holds.ts); under it, what goes is only
// renamed into a trash directory, deleted once the lock is released, so a
// `podshim run` waiting for the lock waits milliseconds, not for a big
// layer's removal.
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { randomBytes } from '../random-bytes'
import { join } from 'node:path'

import { heldImages, withGcLock } from './image-holds'
import { isDigestName } from './reference'
import { unmountView } from './image-views'
import { type ImageRecord, type ImageStore, digestHex, dirEntries } from './store'
import { isProcessAlive } from './store-lock'

/** Runs fn under the GC lock with a trash directory, emptied after the lock is released. */
function withTrash<T>(store: ImageStore, fn: (trash: Trash) => T): T {
  const trash = new Trash(join(store.root, 'tmp', `gc.${process.pid}.${randomBytes(4).toString('hex')}`))
  try {
    return withGcLock(store.root, () => fn(trash))
  } finally {
    rmSync(trash.dir, { recursive: true, force: true })
  }
}

/** Where GC moves what it removes; the tmp sweep leaves it alone while this process lives. */
class Trash {
  private count = 0

  constructor(readonly dir: string) {}

  take(path: string): void {
    if (this.count === 0) mkdirSync(this.dir, { mode: 0o700 })
    renameSync(path, join(this.dir, String(++this.count)))
  }
}

export function removeImage(store: ImageStore, nameOrId: string): ImageRecord {
  return withTrash(store, (trash) => removeImageLocked(store, nameOrId, trash))
}

function removeImageLocked(store: ImageStore, nameOrId: string, trash: Trash): ImageRecord {
  const record = store.findImage(nameOrId)
  if (record === null) throw new Error(`remove image "${nameOrId}": no such image`)
  const names = store.namesOf(record.id)
  const isByName = names.includes(nameOrId)
  const isLast = !isByName || names.filter((n) => !isDigestName(n)).length <= 1
  if (isLast && heldImages(store.root).has(record.id)) throw new Error(`remove image "${nameOrId}": a running pod uses it`)
  // by name: that name (and its digest names once no tag is left); by ID: every name
  store.removeNames(isByName && !isLast ? [nameOrId] : names, record.id)
  if (store.getImage(record.id) === null) {
    unmountView(store.root, record.id)
    collectGarbage(store, trash)
  }
  return record
}

/** remove every image no running pod uses; returns the removed records */
export function pruneImages(store: ImageStore): ImageRecord[] {
  return withTrash(store, (trash) => pruneImagesLocked(store, trash))
}

function pruneImagesLocked(store: ImageStore, trash: Trash): ImageRecord[] {
  const held = heldImages(store.root)
  const removed: ImageRecord[] = []
  for (const record of store.listImages()) {
    if (held.has(record.id)) continue
    store.removeNames(store.namesOf(record.id), record.id)
    unmountView(store.root, record.id)
    removed.push(record)
  }
  collectGarbage(store, trash)
  return removed
}

/** move what no image record refers to into the trash (the caller holds the GC lock); returns the number of entries */
function collectGarbage(store: ImageStore, trash: Trash): number {
  const blobs = new Set<string>()
  const layers = new Set<string>()
  for (const record of store.listImages()) {
    blobs.add(digestHex(record.id))
    if (record.manifestDigest !== null) blobs.add(digestHex(record.manifestDigest))
    for (const name of store.namesOf(record.id)) if (isDigestName(name)) blobs.add(name.slice(name.indexOf('@sha256:') + 8))
    for (const r of record.repoDigests) blobs.add(r.slice(r.indexOf('@sha256:') + 8))
    for (const layer of record.layers) {
      blobs.add(digestHex(layer.digest))
      layers.add(digestHex(layer.diffId))
    }
  }
  let count = 0
  // a pull in progress has blobs and layers no record names yet
  if (heldImages(store.root).has('pulling')) return count
  for (const hex of dirEntries(join(store.root, 'blobs/sha256'))) {
    if (!blobs.has(hex)) {
      trash.take(join(store.root, 'blobs/sha256', hex))
      count++
    }
  }
  for (const hex of dirEntries(join(store.root, 'layers/sha256'))) {
    if (!layers.has(hex)) {
      trash.take(join(store.root, 'layers/sha256', hex))
      count++
    }
  }
  for (const name of dirEntries(join(store.root, 'tmp'))) {
    const pid = Number(name.split('.')[1])
    if (!isProcessAlive(pid)) {
      trash.take(join(store.root, 'tmp', name))
      count++
    }
  }
  return count
}
