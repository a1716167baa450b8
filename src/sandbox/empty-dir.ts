// The directories podshim makes for a pod's volumes and removes at its
// end: an emptyDir as kubelet sets one up (0777, or a tmpfs for one backed
// by memory, sized as kubelet sizes it), which also holds the files of a
// configMap, secret, downwardAPI or projected volume (file-volumes.ts).
import { chmodSync, mkdirSync, rmSync } from 'node:fs'
import { MNT_DETACH, mount, umount2 } from '../native/libc'
import { MS_NODEV, MS_NOSUID } from '../native/contract'
import { VolumeError } from './volume-error'

export interface PreparedVolume {
  name: string
  hostPath: string
  /** true when podshim created (and so deletes) the directory */
  owned: boolean
  /** a tmpfs podshim mounted there */
  mounted: boolean
  /** mounted read-only in every container, whatever its volumeMount says (kubelet's ReadOnly volume attribute) */
  isReadOnly?: boolean
}

/**
 * The size of a `medium: Memory` emptyDir's tmpfs, as kubelet sizes it
 * (SizeMemoryBackedVolumes): the smaller of sizeLimit (0 is unset) and the
 * memory the pod may use: its memory limit, else the node's allocatable
 * memory (calculateEmptyDirMemorySize).
 */
export function memoryVolumeBytes(sizeLimitBytes: number | undefined, podMemoryLimitBytes: number | null, allocatableBytes: number): number {
  const podBytes = podMemoryLimitBytes !== null && podMemoryLimitBytes <= allocatableBytes ? podMemoryLimitBytes : allocatableBytes
  return sizeLimitBytes !== undefined && sizeLimitBytes > 0 ? Math.min(sizeLimitBytes, podBytes) : podBytes
}

/** kubelet's emptyDir setup: a directory 0777, or a tmpfs of memoryBytes (null: on disk). */
export function makeEmptyDir(name: string, path: string, memoryBytes: number | null, kind: string): PreparedVolume {
  mkdirSync(path, { recursive: true })
  chmodSync(path, 0o777) // as kubelet's emptyDir
  const prepared: PreparedVolume = { name, hostPath: path, owned: true, mounted: false }
  if (memoryBytes !== null) {
    try {
      mount('tmpfs', path, 'tmpfs', MS_NOSUID | MS_NODEV, `mode=1777,size=${memoryBytes}`)
    } catch (err) {
      rmSync(path, { recursive: true, force: true })
      throw new VolumeError(`mount ${kind} volume "${name}" (medium Memory)`, { cause: err })
    }
    prepared.mounted = true
  }
  return prepared
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
