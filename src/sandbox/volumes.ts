// The pod's volumes on the host side: emptyDir directories (a tmpfs for
// `medium: Memory`, sized by sizeLimit), hostPath with Kubernetes' `type`
// checks, and each container's volumeMounts resolved to a mount source.
// A subPath is resolved without trusting the volume's contents: it must stay
// inside the volume after every symlink, and is opened O_PATH, so the volume
// cannot be swapped between the check and the mount: the checked fd is
// cloned into a detached mount (open_tree) that the child attaches with
// move_mount. Teardown unmounts and
// deletes exactly what setup created.
import { chmodSync, closeSync, constants, fstatSync, mkdirSync, openSync, readlinkSync, rmSync, statSync, type Stats, writeFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { join, normalize, posix, sep } from 'node:path'
import type { DefaultedContainer, DefaultedVolume } from '../spec/types'
import { parseQuantity } from '../spec/quantity'
import { MNT_DETACH, O_PATH, mkdirAt, mount, openPathAt, openTreeClone, umount2 } from '../native/libc'
import { MS_NODEV, MS_NOSUID } from '../native/contract'
import type { VolumeMountPlan } from './container-plan'

export interface PreparedVolume {
  name: string
  hostPath: string
  /** true when podshim created (and so deletes) the directory */
  owned: boolean
  /** a tmpfs podshim mounted there */
  mounted: boolean
}

export class VolumeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'VolumeError'
  }
}

/**
 * The size of a `medium: Memory` emptyDir's tmpfs, as kubelet sizes it
 * (SizeMemoryBackedVolumes): the smaller of sizeLimit (0 is unset) and the
 * memory the pod may use: its memory limit, else the machine's memory.
 */
export function memoryVolumeBytes(sizeLimitBytes: number | undefined, podMemoryLimitBytes: number | null, machineBytes: number): number {
  const podBytes = podMemoryLimitBytes ?? machineBytes
  return sizeLimitBytes !== undefined && sizeLimitBytes > 0 ? Math.min(sizeLimitBytes, podBytes) : podBytes
}

/**
 * Create every volume of the pod under `dir` (podMemoryLimitBytes: the pod's
 * memory limit, or null); on failure, undo what was done and throw.
 */
export function prepareVolumes(volumes: DefaultedVolume[], dir: string, podMemoryLimitBytes: number | null): Map<string, PreparedVolume> {
  const prepared = new Map<string, PreparedVolume>()
  try {
    for (const volume of volumes) prepared.set(volume.name, prepareVolume(volume, dir, podMemoryLimitBytes))
  } catch (err) {
    teardownVolumes([...prepared.values()])
    throw err
  }
  return prepared
}

function prepareVolume(volume: DefaultedVolume, dir: string, podMemoryLimitBytes: number | null): PreparedVolume {
  if (volume.hostPath !== undefined) {
    checkHostPath(volume.name, volume.hostPath.path, volume.hostPath.type)
    return { name: volume.name, hostPath: volume.hostPath.path, owned: false, mounted: false }
  }
  const path = join(dir, 'empty-dir', volume.name)
  mkdirSync(path, { recursive: true })
  chmodSync(path, 0o777) // as kubelet's emptyDir
  const prepared: PreparedVolume = { name: volume.name, hostPath: path, owned: true, mounted: false }
  if (volume.emptyDir?.medium === 'Memory') {
    const sizeLimit = volume.emptyDir.sizeLimit === undefined ? undefined : Number(parseQuantity(volume.emptyDir.sizeLimit).value())
    const size = memoryVolumeBytes(sizeLimit, podMemoryLimitBytes, totalmem())
    try {
      mount('tmpfs', path, 'tmpfs', MS_NOSUID | MS_NODEV, `mode=1777,size=${size}`)
    } catch (err) {
      rmSync(path, { recursive: true, force: true })
      throw new VolumeError(`mount emptyDir volume "${volume.name}" (medium Memory)`, { cause: err })
    }
    prepared.mounted = true
  }
  return prepared
}

/** Kubernetes' hostPath `type` checks (pkg/volume/hostpath). */
function checkHostPath(name: string, path: string, type: string): void {
  const fail = (what: string): never => {
    throw new VolumeError(`hostPath volume "${name}": ${what} (type "${type}")`)
  }
  const stat = statOrNull(path)
  switch (type) {
    case '':
      return
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

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch {
    return null
  }
}

/** Unmount and delete what prepareVolumes created; never touches a hostPath. */
export function teardownVolumes(volumes: PreparedVolume[]): void {
  for (const volume of volumes) {
    if (volume.mounted) {
      try {
        umount2(volume.hostPath, MNT_DETACH)
      } catch {
        // already gone: nothing of ours is left mounted there
      }
    }
    if (volume.owned) rmSync(volume.hostPath, { recursive: true, force: true })
  }
}

/**
 * Resolve a container's volumeMounts to mount sources. Returns the plans and
 * the fds the caller must close once the container was spawned.
 */
export function resolveVolumeMounts(container: DefaultedContainer, volumes: Map<string, PreparedVolume>): { mounts: VolumeMountPlan[]; fds: number[] } {
  const mounts: VolumeMountPlan[] = []
  const fds: number[] = []
  try {
    container.volumeMounts.forEach((vm, i) => {
      const volume = volumes.get(vm.name)
      if (volume === undefined) throw new VolumeError(`volumeMounts[${i}]: volume "${vm.name}" not found`)
      const target = containerPath(vm.mountPath, `volumeMounts[${i}].mountPath`)
      const readOnly = vm.readOnly === true
      const recursiveReadOnly = readOnly && (vm.recursiveReadOnly === 'Enabled' || vm.recursiveReadOnly === 'IfPossible')
      if (vm.subPath === undefined || vm.subPath === '') {
        mounts.push({ source: volume.hostPath, target, readOnly, recursiveReadOnly, isFile: !statSync(volume.hostPath).isDirectory() })
        return
      }
      // the checked path, held by fd and detached as a mount tree the child attaches (no path to swap)
      const fd = openInside(volume.hostPath, vm.subPath, `volumeMounts[${i}].subPath`)
      try {
        const isFile = !statSync(`/proc/self/fd/${fd}`).isDirectory()
        const treeFd = openTreeClone(fd, join(volume.hostPath, vm.subPath))
        fds.push(treeFd)
        mounts.push({ source: join(volume.hostPath, vm.subPath), treeFd, target, readOnly, recursiveReadOnly, isFile })
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

/** An absolute, normalised in-container path with no `..` escaping the root. */
export function containerPath(path: string, field: string): string {
  if (!path.startsWith('/')) throw new VolumeError(`${field}: must be an absolute path (got "${path}")`)
  if (path.split('/').includes('..')) throw new VolumeError(`${field}: must not contain ".." (got "${path}")`)
  const clean = posix.normalize(path).replace(/\/+$/, '')
  return clean === '' ? '/' : clean
}

/**
 * Open base/sub (creating missing directories, as kubelet does for subPath)
 * so that no symlink can lead outside base; returns an O_PATH fd. The walk
 * goes one name at a time from an fd of the directory before it, never by
 * path (kubelet's doSafeMakeDir): a container swapping a directory of a
 * shared volume for a symlink meanwhile cannot lead a mkdir out of it.
 */
export function openInside(base: string, sub: string, field: string): number {
  if (sub.startsWith('/') || normalize(sub).split(sep).includes('..')) {
    throw new VolumeError(`${field}: must be a relative path that does not contain ".." (got "${sub}")`)
  }
  const parts = sub.split('/').filter((p) => p !== '' && p !== '.')
  let fd = openSync(base, O_PATH | constants.O_DIRECTORY)
  try {
    for (const [i, part] of parts.entries()) {
      const label = join(base, ...parts.slice(0, i + 1))
      let next = openPathAt(fd, part, label)
      if (next === undefined) {
        mkdirAt(fd, part, 0o755, label)
        next = openPathAt(fd, part, label)
        if (next === undefined) throw new VolumeError(`${field}: "${parts.slice(0, i + 1).join('/')}" vanished as it was made (got "${sub}")`)
      }
      closeSync(fd)
      fd = next
      if (fstatSync(fd).isSymbolicLink()) {
        throw new VolumeError(`${field}: "${parts.slice(0, i + 1).join('/')}" is a symlink, which could lead outside the volume (got "${sub}")`)
      }
    }
    const real = readlinkSync(`/proc/self/fd/${fd}`)
    const realBase = realPathOf(base)
    if (real !== realBase && !real.startsWith(realBase + '/')) {
      throw new VolumeError(`${field}: resolves to "${real}", outside the volume (got "${sub}")`)
    }
    const opened = fd
    fd = -1
    return opened
  } finally {
    if (fd >= 0) closeSync(fd)
  }
}

/** The kernel's view of where a path leads (readlink of an O_PATH fd's /proc/self/fd entry). */
function realPathOf(path: string): string {
  const fd = openSync(path, O_PATH)
  try {
    return readlinkSync(`/proc/self/fd/${fd}`)
  } finally {
    closeSync(fd)
  }
}

