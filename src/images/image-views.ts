// A read-only merged view of an image on the host, for what the supervisor
// looks up before a container starts (the executable on PATH, /etc/passwd
// for a user name): the image's only layer itself, or an overlayfs of its
// layers with no upper directory mounted at `views/<image hex>` (once per
// image, shared by pods; unmounted as the last pod holding the image ends,
// or when the image is removed: image-holds.ts). overlayfs
// needs at least two lower layers when it has no upper one.
// Man pages: mount(2); kernel Documentation/filesystems/overlayfs.rst.
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { readMountPoints } from '../cgroup/mount'
import { join } from 'node:path'

import { MS_NODEV, MS_NOSUID, MS_RDONLY } from '../native/contract'
import { MNT_DETACH, mount, umount2 } from '../native/libc'
import { digestHex } from './store'
import { withLock } from './store-lock'

function isMountPoint(path: string): boolean {
  return readMountPoints().includes(path)
}

export function lookupView(imageRoot: string, id: string, layers: string[]): string {
  if (layers.length === 1) return layers[0]
  const dir = join(imageRoot, 'views', digestHex(id))
  return withLock(join(imageRoot, 'locks'), 'views', () => {
    if (isMountPoint(dir)) return dir
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    try {
      mount('overlay', dir, 'overlay', MS_RDONLY | MS_NODEV | MS_NOSUID, `lowerdir=${[...layers].reverse().join(':')}`)
    } catch (err) {
      throw new Error(`mount the lookup view of image "${id}"`, { cause: err })
    }
    return dir
  })
}

export function unmountView(imageRoot: string, id: string): void {
  const dir = join(imageRoot, 'views', digestHex(id))
  withLock(join(imageRoot, 'locks'), 'views', () => {
    while (isMountPoint(dir)) umount2(dir, MNT_DETACH)
    rmSync(dir, { recursive: true, force: true })
  })
}

/** every view of this store (teardown of a test's data root, `image prune`) */
export function unmountAllViews(imageRoot: string): void {
  let names: string[]
  try {
    names = readdirSync(join(imageRoot, 'views'))
  } catch {
    return
  }
  for (const hex of names) unmountView(imageRoot, `sha256:${hex}`)
}
