// The pod's volumes on the host side: emptyDir directories (a tmpfs for
// `medium: Memory`, sized by sizeLimit), hostPath with Kubernetes' `type`
// checks, configMap, secret, downwardAPI and projected volumes filled as
// kubelet fills them (volume-payload.ts, file-volumes.ts) and mounted
// read-only, and each container's volumeMounts resolved to a mount source.
// A subPath is opened inside its volume (subpath.ts) and held by fd, so the
// volume cannot be swapped between the check and the mount: the checked fd
// is cloned into a detached mount (open_tree) that the child attaches with
// move_mount. Teardown unmounts and deletes exactly what setup created.
import { chmodSync, chownSync, closeSync, mkdirSync, statSync, type Stats, writeFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import type { DefaultedContainer, DefaultedVolume } from '../spec/types'
import { parseQuantity } from '../spec/quantity'
import { expandVars } from '../spec/expand'
import { openTreeClone } from '../native/libc'
import type { VolumeMountPlan } from './container-plan'
import { VolumeError } from './volume-error'
import { ContainerConfigError } from './container-config-error'
import { allocatableMemoryBytes } from './downward-resources'
import { openInside } from './subpath'
import { checkMountPoint, type MountPointImage } from './mount-point'
import { propagationOf } from '../cgroup/mount'
import { type PayloadSources, isFileVolume } from './volume-payload'
import { prepareFileVolume } from './file-volumes'
import { makeEmptyDir, memoryVolumeBytes, teardownVolumes, type PreparedVolume } from './empty-dir'

export { memoryVolumeBytes, teardownVolumes, type PreparedVolume } from './empty-dir'

/**
 * Create every volume of the pod under `dir` (podMemoryLimitBytes: the pod's
 * memory limit, or null); `sources`: what configMap, secret, downwardAPI and
 * projected volumes are filled from. On failure, undo what was done and throw.
 */
export function prepareVolumes(volumes: DefaultedVolume[], dir: string, podMemoryLimitBytes: number | null, fsGroup: number | undefined, sources: PayloadSources): Map<string, PreparedVolume> {
  const prepared = new Map<string, PreparedVolume>()
  try {
    volumes.forEach((volume, i) => {
      const done = isFileVolume(volume) ? prepareFileVolume(volume, dir, podMemoryLimitBytes, fsGroup, sources)
        : prepareVolume(volume, i, dir, podMemoryLimitBytes)
      prepared.set(volume.name, done)
      // a file volume's ownership is set as it is filled (file-volumes.ts)
      if (fsGroup !== undefined && done.owned && done.isReadOnly !== true) setVolumeOwnership(done, fsGroup)
    })
  } catch (err) {
    teardownVolumes([...prepared.values()])
    throw err
  }
  return prepared
}

function prepareVolume(volume: DefaultedVolume, index: number, dir: string, podMemoryLimitBytes: number | null): PreparedVolume {
  if (volume.hostPath !== undefined) {
    checkHostPath(`spec.volumes[${index}].hostPath`, volume.name, volume.hostPath.path, volume.hostPath.type)
    return { name: volume.name, hostPath: volume.hostPath.path, owned: false, mounted: false }
  }
  const isMemory = volume.emptyDir?.medium === 'Memory'
  const sizeLimit = volume.emptyDir?.sizeLimit === undefined ? undefined : Number(parseQuantity(volume.emptyDir.sizeLimit).value())
  return makeEmptyDir(volume.name, join(dir, 'empty-dir', volume.name), isMemory ? memoryVolumeBytes(sizeLimit, podMemoryLimitBytes, allocatableMemoryBytes()) : null, 'emptyDir')
}

/**
 * kubelet's SetVolumeOwnership for a new emptyDir (hostPath volumes are never
 * changed): its root's group becomes the pod's fsGroup, with group
 * read-write and setgid, so what containers make in it takes that group.
 */
function setVolumeOwnership(volume: PreparedVolume, fsGroup: number): void {
  try {
    chownSync(volume.hostPath, statSync(volume.hostPath).uid, fsGroup)
    chmodSync(volume.hostPath, (statSync(volume.hostPath).mode & 0o7777) | 0o2770)
  } catch (err) {
    throw new VolumeError(`volume "${volume.name}": give it the pod's fsGroup ${fsGroup}`, { cause: err })
  }
}

/**
 * Kubernetes' hostPath `type` checks (pkg/volume/hostpath). Type "" checks
 * nothing: a missing path is made when a container mounts it (mountSourceStat).
 */
function checkHostPath(field: string, name: string, path: string, type: string): void {
  const prefix = `${field}: hostPath volume "${name}"`
  const fail = (what: string): never => {
    throw new VolumeError(`${prefix}: ${what} (type "${type}")`)
  }
  try {
    checkHostPathType(path, type, fail)
  } catch (err) {
    if (err instanceof VolumeError) throw err
    throw new VolumeError(`${prefix}: check "${path}" (type "${type}")`, { cause: err })
  }
}

function checkHostPathType(path: string, type: string, fail: (what: string) => never): void {
  if (type === '') return
  const stat = statOrNull(path)
  switch (type) {
    case 'DirectoryOrCreate':
      if (stat === null) mkdirSync(path, { recursive: true, mode: 0o755 })
      else if (!stat.isDirectory()) fail(`"${path}" exists and is not a directory`)
      return
    case 'FileOrCreate':
      if (stat === null) writeFileSync(path, '', { mode: 0o644, flag: 'wx' })
      else if (!stat.isFile()) fail(`"${path}" exists and is not a file`)
      return
    case 'Directory':
      if (stat?.isDirectory() !== true) fail(`"${path}" is not a directory`)
      return
    case 'File':
      if (stat?.isFile() !== true) fail(`"${path}" is not a file`)
      return
    case 'Socket':
      if (stat?.isSocket() !== true) fail(`"${path}" is not a socket`)
      return
    case 'CharDevice':
      if (stat?.isCharacterDevice() !== true) fail(`"${path}" is not a character device`)
      return
    case 'BlockDevice':
      if (stat?.isBlockDevice() !== true) fail(`"${path}" is not a block device`)
      return
    default:
      fail('unknown type')
  }
}

/** stat(2), or null where nothing is there; other errors (EACCES, ELOOP) throw. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/**
 * Resolve a container's volumeMounts to mount sources. Returns the plans and
 * the fds the caller must close once the container was spawned. Given the
 * container's image, a mount point the image cannot have made for it is
 * refused here, naming the volumeMount (checkMountPoint).
 */
export function resolveVolumeMounts(
  container: DefaultedContainer, volumes: Map<string, PreparedVolume>, image?: MountPointImage, env?: () => ReadonlyMap<string, string>,
): { mounts: VolumeMountPlan[]; fds: number[] } {
  const mounts: VolumeMountPlan[] = []
  const fds: number[] = []
  try {
    container.volumeMounts.forEach((vm, i) => {
      const volume = volumes.get(vm.name)
      if (volume === undefined) throw new VolumeError(`volumeMounts[${i}]: volume "${vm.name}" not found`)
      const target = containerPath(vm.mountPath, `volumeMounts[${i}].mountPath`)
      if (image !== undefined) checkMountPoint(image, target, mounts.map((m) => m.target), `volumeMounts[${i}].mountPath`)
      // as kubelet: a volume it fills from the API is read-only in every container
      const readOnly = vm.readOnly === true || volume.isReadOnly === true
      const recursiveReadOnly = readOnly && (vm.recursiveReadOnly === 'Enabled' || vm.recursiveReadOnly === 'IfPossible')
      // HostToContainer (and Bidirectional, which podshim mounts as it): the host's mount must pass mounts on
      const isHostToContainer = vm.mountPropagation === 'HostToContainer' || vm.mountPropagation === 'Bidirectional'
      if (isHostToContainer) checkSharedOrSlave(volume.hostPath, `volumeMounts[${i}].mountPropagation`)
      const isExpr = vm.subPathExpr !== undefined && vm.subPathExpr !== ''
      const subPath = isExpr ? expandSubPathExpr(vm.subPathExpr!, env?.() ?? new Map()) : vm.subPath
      if (subPath === undefined || subPath === '') {
        mounts.push({ source: volume.hostPath, target, readOnly, recursiveReadOnly, isFile: !mountSourceStat(volume, i).isDirectory(), isHostToContainer })
        return
      }
      // the checked path, held by fd and detached as a mount tree the child attaches (no path to swap)
      const fd = openInside(volume.hostPath, subPath, `volumeMounts[${i}].${isExpr ? 'subPathExpr' : 'subPath'}`)
      try {
        const isFile = !statSync(`/proc/self/fd/${fd}`).isDirectory()
        const treeFd = openTreeClone(fd, join(volume.hostPath, subPath))
        fds.push(treeFd)
        mounts.push({ source: join(volume.hostPath, subPath), treeFd, target, readOnly, recursiveReadOnly, isFile })
      } finally {
        closeSync(fd)
      }
    })
  } catch (err) {
    for (const fd of fds) closeSync(fd)
    throw err
  }
  return { mounts, fds }
}

/** containerd's ensureSharedOrSlave: a HostToContainer source must be on a shared or slave mount of the host. */
function checkSharedOrSlave(path: string, field: string): void {
  const { mountPoint, isSharedOrSlave } = propagationOf(path)
  if (!isSharedOrSlave) throw new VolumeError(`${field}: path "${path}" is mounted on "${mountPoint}" but it is not a shared or slave mount`)
}

/**
 * kubelet's ExpandContainerVolumeMounts: $(VAR) in a subPathExpr from the
 * container's env (its own entries, as kubelet makes them, not the
 * image's); a variable without a value is an error naming every such one.
 */
export function expandSubPathExpr(expr: string, env: ReadonlyMap<string, string>): string {
  const missing = new Set<string>()
  const expanded = expandVars(expr, (name) => {
    const value = env.get(name)
    if (value === undefined || value === '') missing.add(name)
    return value ?? ''
  })
  if (missing.size > 0) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`)
  return expanded
}

/**
 * The stat of a whole volume about to be mounted. A source that is missing
 * (a hostPath of type "", which nothing checked, or one removed since) is
 * made a directory, as containerd's CRI makes every missing bind source
 * (MkdirAll, 0755) when it creates a container.
 */
function mountSourceStat(volume: PreparedVolume, i: number): Stats {
  const field = `volumeMounts[${i}]: volume "${volume.name}"`
  let stat: Stats | null
  try {
    stat = statOrNull(volume.hostPath)
  } catch (err) {
    throw new VolumeError(`${field}: stat the mount source "${volume.hostPath}"`, { cause: err })
  }
  if (stat !== null) return stat
  try {
    mkdirSync(volume.hostPath, { recursive: true, mode: 0o755 })
    return statSync(volume.hostPath)
  } catch (err) {
    throw new VolumeError(`${field}: make the missing mount source "${volume.hostPath}"`, { cause: err })
  }
}

/** An absolute, normalised in-container path with no `..` escaping the root. */
export function containerPath(path: string, field: string): string {
  if (!path.startsWith('/')) throw new VolumeError(`${field}: must be an absolute path (got "${path}")`)
  if (path.split('/').includes('..')) throw new VolumeError(`${field}: must not contain ".." (got "${path}")`)
  const clean = posix.normalize(path).replace(/\/+$/, '')
  return clean === '' ? '/' : clean
}
