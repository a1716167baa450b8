// What `podshim image ls|inspect|rm|prune` show of the built-in image
// `podshim/host` (host-image.ts): it is in no store, so it is listed and
// inspected from here, by the ID a pod's status gives it, and never removed.
// It has no layers and no size of its own: it is the host's directories.
import { formatPlatform, hostPlatform } from './image-manifest'
import { HOST_IMAGE, HOST_IMAGE_CONFIG, HOST_IMAGE_ID, hostImageEntries, isHostImage } from './host-image'
import { familiarName, parseDockerReference } from './reference'
import type { ImageConfig } from './resolver'

/** what ls shows in the SIZE column: nothing is stored for it */
export const BUILT_IN_SIZE = 'built-in'

/** why it cannot be removed, for rm and prune */
export const BUILT_IN_REASON = 'it is built in (a view of this host\'s system directories, in no store) and cannot be removed'

/** a name the commands take for it: a pod's spelling of it, or its ID */
export function isBuiltInName(name: string): boolean {
  return name === HOST_IMAGE_ID || isHostImage(name)
}

/** why a stored image is not given a name it carries (host-image.ts withoutHostImage) */
export function refusedNameWarning(name: string, id: string): string {
  return `${JSON.stringify(familiarName(parseDockerReference(name)))} names the built-in image; ${id} is not given that name`
}

/** its `image ls` row: IMAGE, IMAGE ID, SIZE, PLATFORM */
export function builtInRow(): string[] {
  return [HOST_IMAGE, HOST_IMAGE_ID, BUILT_IN_SIZE, formatPlatform(hostPlatform())]
}

export interface BuiltInInspect {
  id: string
  manifestDigest: null
  repoDigests: string[]
  layers: []
  config: ImageConfig
  platform: string
  created: null
  storedAt: null
  /** what the root is made of, read from this host */
  builtIn: { description: string; readOnlyFromHost: string[]; symlinks: Record<string, string>; emptyDirs: string[]; tmpfs: string[] }
  size: null
  names: string[]
  layerDirs: []
}

/** `image inspect podshim/host`: the shape of a stored image's, with what it is a view of */
export function builtInInspect(hostRoot = '/'): BuiltInInspect {
  const builtIn: BuiltInInspect['builtIn'] = {
    description: 'built into podshim, in no store: a read-only view of this host\'s system directories on a fresh tmpfs root, which the container may write',
    readOnlyFromHost: [], symlinks: {}, emptyDirs: [], tmpfs: [],
  }
  for (const entry of hostImageEntries(hostRoot)) {
    if (entry.kind === 'bind') builtIn.readOnlyFromHost.push(entry.path)
    else if (entry.kind === 'symlink') builtIn.symlinks[entry.path] = entry.target
    else if (entry.kind === 'dir') builtIn.emptyDirs.push(entry.path)
    else builtIn.tmpfs.push(entry.path)
  }
  return {
    id: HOST_IMAGE_ID, manifestDigest: null, repoDigests: [], layers: [], config: HOST_IMAGE_CONFIG, platform: formatPlatform(hostPlatform()),
    created: null, storedAt: null, builtIn, size: null, names: [HOST_IMAGE], layerDirs: [],
  }
}
