// The built-in image `podshim/host`: a read-only view of the host's system
// directories (/usr, /bin, /sbin, /lib*, /etc, /opt), so every example and
// test runs offline on any Linux. Directories the host has as symlinks
// (merged /usr) become the same symlinks; everything else in the root is a
// fresh tmpfs the container may write (/tmp, /run, /root, /home, /var).
// A pod names it by any spelling of the reference docker.io/podshim/host:latest
// (`podshim/host`, `docker.io/podshim/host`, …), as a stored image is named.
import { lstatSync, readlinkSync } from 'node:fs'
import type { RootEntry } from '../sandbox/container-plan'
import { formatDockerReference, parseImageSource } from './reference'
import { type ImageConfig, type ImageResolver, type ResolvedImage, ImageError } from './resolver'

export const HOST_IMAGE = 'podshim/host'
/** its ID and imageRef, as a pod's status shows them (containerStatuses[].imageID) */
export const HOST_IMAGE_ID = `podshim://${HOST_IMAGE}`
const HOST_IMAGE_REF = `docker.io/${HOST_IMAGE}:latest`

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt']
const SCRATCH_DIRS = ['/tmp', '/run', '/var/tmp']
const EMPTY_DIRS = ['/root', '/home', '/var', '/var/log', '/var/lib', '/srv', '/mnt']

export const HOST_IMAGE_CONFIG: ImageConfig = {
  entrypoint: [],
  cmd: ['/bin/sh'],
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  workingDir: '',
  user: '',
  stopSignal: 'SIGTERM',
}

export function isHostImage(image: string): boolean {
  try {
    const source = parseImageSource(image)
    return source.transport === 'docker' && formatDockerReference(source.ref) === HOST_IMAGE_REF
  } catch {
    return false
  }
}

/**
 * Names an image may be stored under: none that is the built-in image's,
 * which a pod would never reach (it gets the built-in one) and `image rm`
 * would refuse; those are returned as refused.
 */
export function withoutHostImage(names: readonly string[]): { names: string[]; refused: string[] } {
  return { names: names.filter((n) => !isHostImage(n)), refused: names.filter(isHostImage) }
}

/** The root entries of the host view, read from this host once per process. */
export function hostImageEntries(hostRoot = '/'): RootEntry[] {
  const entries: RootEntry[] = []
  for (const dir of SYSTEM_DIRS) {
    const hostPath = hostRoot === '/' ? dir : `${hostRoot}${dir}`
    let stat
    try {
      stat = lstatSync(hostPath)
    } catch {
      continue
    }
    if (stat.isSymbolicLink()) entries.push({ kind: 'symlink', target: readlinkSync(hostPath), path: dir })
    else if (stat.isDirectory()) entries.push({ kind: 'bind', source: hostPath, path: dir, readOnly: true, isFile: false })
  }
  for (const dir of EMPTY_DIRS) entries.push({ kind: 'dir', path: dir })
  for (const dir of SCRATCH_DIRS) entries.push({ kind: 'tmpfs', path: dir, data: 'mode=1777' })
  return entries
}

/** Resolves only the built-in image: other images go through the image store (DefaultImageResolver). */
export class BuiltinImageResolver implements ImageResolver {
  private entries: RootEntry[] | undefined

  async resolve(image: string): Promise<ResolvedImage> {
    if (!isHostImage(image)) {
      throw new ImageError(`resolve image "${image}": not the built-in image "${HOST_IMAGE}"`, 'ErrImagePull')
    }
    this.entries ??= hostImageEntries()
    return { ref: image, imageId: HOST_IMAGE_ID, statusImage: image, imageRef: HOST_IMAGE_ID, config: HOST_IMAGE_CONFIG, rootfs: { kind: 'entries', entries: this.entries }, lookupRoot: '/' }
  }
}
