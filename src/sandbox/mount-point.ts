// Whether a volumeMount's mount point can be made in its container's root:
// an image view's host directories are read-only, and podshim never writes
// to the host, so a point missing there is refused on the host side, naming
// the volumeMount, instead of failing in the child with EROFS on a host path.
import { lstatSync } from 'node:fs'
import { join, posix } from 'node:path'
import type { ResolvedImage } from '../images/resolver'
import type { RootEntry } from './container-plan'
import { resolveInRoot } from './resolve-in-root'
import { VolumeError } from './volume-error'

/** What checkMountPoint needs of a resolved image. */
export type MountPointImage = Pick<ResolvedImage, 'ref' | 'rootfs' | 'lookupRoot'>

/**
 * Refuse a mount point that would have to be made inside one of the host's
 * read-only directories of an image view (podshim/host's /usr, /etc, …): the
 * child cannot mkdir there (EROFS) and podshim never writes to the host.
 * Fine where the point exists, or lies inside an earlier mount (made there).
 */
export function checkMountPoint(image: MountPointImage, target: string, earlierTargets: string[], field: string): void {
  if (image.rootfs.kind !== 'entries') return
  if (earlierTargets.some((t) => t === '/' || target.startsWith(`${t}/`))) return
  const path = resolveInRoot(image.lookupRoot, target)
  let view: RootEntry | undefined
  for (const entry of image.rootfs.entries) {
    if ((path === entry.path || path.startsWith(`${entry.path}/`)) && (view === undefined || entry.path.length > view.path.length)) view = entry
  }
  if (view?.kind !== 'bind' || !view.readOnly || view.isFile) return
  const rest = path.slice(view.path.length).split('/').filter((p) => p !== '')
  for (let n = 1; n <= rest.length; n++) {
    if (lexists(join(view.source, ...rest.slice(0, n)))) continue
    const missing = posix.join(view.path, ...rest.slice(0, n))
    throw new VolumeError(`${field}: cannot make the mount point "${target}": the image "${image.ref}" has the host's ${view.path}, read-only, and no "${missing}" in it`)
  }
}

function lexists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
