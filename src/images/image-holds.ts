// Which images running pods use, so that `image rm`/`image prune` never
// remove them: a resolver holds an image by creating
// `holds/<image hex>.<pid>` and releases it by removing the file; a hold
// whose process has died no longer counts (and is swept). Kept in the image
// root rather than the pod state so a store needs nothing else to decide.
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { digestHex } from './store'
import { isProcessAlive } from './store-lock'

export function holdImage(imageRoot: string, id: string, pid = process.pid): void {
  writeFileSync(join(imageRoot, 'holds', `${digestHex(id)}.${pid}`), '')
}

export function releaseImage(imageRoot: string, id: string, pid = process.pid): void {
  rmSync(join(imageRoot, 'holds', `${digestHex(id)}.${pid}`), { force: true })
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

/** mark this process as pulling until the returned function is called: GC leaves blobs and layers alone meanwhile */
export function markPulling(imageRoot: string): () => void {
  const path = join(imageRoot, 'holds', `pulling.${process.pid}`)
  writeFileSync(path, '')
  return () => rmSync(path, { force: true })
}
