// Removing images and reclaiming their space: `image rm` drops names (and
// the image once it has none), `image prune` removes every image no running
// pod holds; both then delete blobs and unpacked layers that no remaining
// image refers to, and temp files of pulls whose process has died. Held
// images (image-holds.ts) are never removed, so a running pod's lower
// layers cannot vanish under it. Both run under the store's GC lock, which
// pulls and holds take too (image-holds.ts).
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { heldImages, withGcLock } from './image-holds'
import { unmountView } from './image-views'
import { type ImageRecord, type ImageStore, digestHex } from './store'
import { isProcessAlive } from './store-lock'

export function removeImage(store: ImageStore, nameOrId: string): ImageRecord {
  return withGcLock(store.root, () => removeImageLocked(store, nameOrId))
}

function removeImageLocked(store: ImageStore, nameOrId: string): ImageRecord {
  const record = store.findImage(nameOrId)
  if (record === null) throw new Error(`remove image "${nameOrId}": no such image`)
  const names = store.namesOf(record.id)
  const isByName = names.includes(nameOrId)
  const isLast = !isByName || names.filter((n) => !n.includes('@')).length <= 1
  if (isLast && heldImages(store.root).has(record.id)) throw new Error(`remove image "${nameOrId}": a running pod uses it`)
  // by name: that name (and its digest names once no tag is left); by ID: every name
  store.removeNames(isByName && !isLast ? [nameOrId] : names, record.id)
  if (store.getImage(record.id) === null) {
    unmountView(store.root, record.id)
    collectGarbage(store)
  }
  return record
}

/** remove every image no running pod uses; returns the removed records */
export function pruneImages(store: ImageStore): ImageRecord[] {
  return withGcLock(store.root, () => pruneImagesLocked(store))
}

function pruneImagesLocked(store: ImageStore): ImageRecord[] {
  const held = heldImages(store.root)
  const removed: ImageRecord[] = []
  for (const record of store.listImages()) {
    if (held.has(record.id)) continue
    store.removeNames(store.namesOf(record.id), record.id)
    unmountView(store.root, record.id)
    removed.push(record)
  }
  collectGarbage(store)
  return removed
}

/** delete what no image record refers to (the caller holds the GC lock); returns the number of entries removed */
function collectGarbage(store: ImageStore): number {
  const blobs = new Set<string>()
  const layers = new Set<string>()
  for (const record of store.listImages()) {
    blobs.add(digestHex(record.id))
    if (record.manifestDigest !== null) blobs.add(digestHex(record.manifestDigest))
    for (const name of store.namesOf(record.id)) if (name.includes('@sha256:')) blobs.add(name.slice(name.indexOf('@sha256:') + 8))
    for (const r of record.repoDigests) blobs.add(r.slice(r.indexOf('@sha256:') + 8))
    for (const layer of record.layers) {
      blobs.add(digestHex(layer.digest))
      layers.add(digestHex(layer.diffId))
    }
  }
  let count = 0
  // a pull in progress has blobs and layers no record names yet
  if (heldImages(store.root).has('pulling')) return count
  for (const hex of readdirSync(join(store.root, 'blobs/sha256'))) {
    if (!blobs.has(hex)) {
      rmSync(join(store.root, 'blobs/sha256', hex), { force: true })
      count++
    }
  }
  for (const hex of readdirSync(join(store.root, 'layers/sha256'))) {
    if (!layers.has(hex)) {
      rmSync(join(store.root, 'layers/sha256', hex), { recursive: true, force: true })
      count++
    }
  }
  for (const name of readdirSync(join(store.root, 'tmp'))) {
    const pid = Number(name.split('.')[1])
    if (!isProcessAlive(pid)) {
      rmSync(join(store.root, 'tmp', name), { recursive: true, force: true })
      count++
    }
  }
  return count
}
