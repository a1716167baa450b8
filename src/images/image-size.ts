// The size `image ls` and `image inspect` give an image: its unpacked size,
// as `docker images` shows it — the bytes of the files in its layers'
// directories, a hard-linked file once, directories not at all. It depends
// only on the layers' diff IDs, so an image ID has one size however it came:
// the sum of its blobs (what crictl shows) does not, since a registry or
// an OCI archive gives gzip layers and a `docker save` archive plain tars.
// Measured once per layer when the first image with it is stored
// (image-pull.ts); records of an older podshim, which lack it, are
// measured when shown, once per layer per command.
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import type { ImageRecord, ImageStore } from './store'

/** the bytes of the files below dir (a layer's unpacked directory); 0 when it is missing */
export function unpackedSize(dir: string): number {
  const seen = new Set<number>()
  let total = 0
  const walk = (path: string): void => {
    let names: string[]
    try {
      names = readdirSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const name of names) {
      const stat = lstatSync(join(path, name))
      if (stat.isDirectory()) walk(join(path, name))
      else if (stat.size > 0 && !seen.has(stat.ino)) {
        seen.add(stat.ino)
        total += stat.size
      }
    }
  }
  walk(dir)
  return total
}

/**
 * Layers' unpacked sizes by diff ID: as any of the records has it, else
 * measured, each layer at most once (a store of an older podshim, whose
 * records lack it, shows images on one base with one walk of the base).
 */
export class LayerSizes {
  private readonly known = new Map<string, number>()

  constructor(private readonly store: ImageStore, records: readonly ImageRecord[]) {
    for (const r of records) for (const l of r.layers) if (l.unpackedSize !== undefined) this.known.set(l.diffId, l.unpackedSize)
  }

  of(diffId: string): number {
    let size = this.known.get(diffId)
    if (size === undefined) this.known.set(diffId, size = unpackedSize(this.store.layerPath(diffId)))
    return size
  }

  /** an image's unpacked size: its layers' as recorded, else as known or measured */
  imageSize(record: ImageRecord): number {
    return record.layers.reduce((n, l) => n + (l.unpackedSize ?? this.of(l.diffId)), 0)
  }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']

/** as `docker images` prints a size: decimal units, three significant digits (`5.58MB`, `824kB`, `12B`) */
export function formatSize(bytes: number): string {
  let value = bytes
  let unit = 0
  // 999.96kB rounds to 1000kB: that is 1MB
  while (Number(value.toPrecision(3)) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return `${Number(value.toPrecision(3))}${UNITS[unit]}`
}
