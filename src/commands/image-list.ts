// What `podshim image ls` shows: the built-in image, then a row per name of
// each stored image (`<none>` for one named only by digest, as `docker
// images` shows it), with its unpacked size. One pass over the store: refs
// are read once, and a layer whose size no record gives is measured once
// however many images share it (image-size.ts).
import { builtInRow } from '../images/builtin-image'
import { LayerSizes, formatSize } from '../images/image-size'
import { isDigestName } from '../images/reference'
import type { ImageStore } from '../images/store'

/** IMAGE, IMAGE ID, SIZE, PLATFORM: the header, the built-in image, and the store's (null: none) */
export function imageRows(store: ImageStore | null): string[][] {
  const rows = [['IMAGE', 'IMAGE ID', 'SIZE', 'PLATFORM'], builtInRow()]
  if (store === null) return rows
  const records = store.listImages()
  const sizes = new LayerSizes(store, records)
  const namesById = new Map<string, string[]>()
  for (const [name, id] of Object.entries(store.readRefs())) namesById.set(id, [...namesById.get(id) ?? [], name])
  for (const r of records) {
    const size = formatSize(sizes.imageSize(r))
    const names = (namesById.get(r.id) ?? []).sort()
    const shown = names.filter((n) => !isDigestName(n))
    for (const name of shown.length > 0 ? shown : ['<none>']) rows.push([name, r.id.slice(7, 19), size, r.platform])
  }
  return rows
}
