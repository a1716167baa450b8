// Filling a configMap, secret, downwardAPI or projected volume's directory
// on the host, as kubelet's plugins fill the emptyDir they wrap: the
// directories other volumes are mounted on inside it (MakeNestedMountpoints:
// the volume is read-only in every container, so a mount point under it
// could not be made there later), then the payload in AtomicWriter's layout
// (atomic-writer.ts), and with an fsGroup, SetVolumeOwnership as kubelet
// applies it to a read-only volume before the links appear: every file and
// directory in the group, group-readable (directories also searchable and
// setgid), none made group-writable.
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import { join, posix } from 'node:path'
import type { DefaultedPod, DefaultedVolume } from '../spec/types'
import { type FileProjection, writePayload } from './atomic-writer'
import { allocatableMemoryBytes } from './downward-resources'
import { makeEmptyDir, memoryVolumeBytes, teardownVolumes, type PreparedVolume } from './empty-dir'
import { type PayloadSources, PayloadError, volumePayload } from './volume-payload'
import { VolumeError } from './volume-error'

/**
 * A configMap, secret, downwardAPI or projected volume: its files collected
 * first (nothing is made for one that cannot be filled), then an emptyDir,
 * on a tmpfs for all but a configMap one, as kubelet wraps them, filled as
 * kubelet's AtomicWriter fills it. A failure has kubelet's FailedMount text.
 */
export function prepareFileVolume(volume: DefaultedVolume, dir: string, podMemoryLimitBytes: number | null, fsGroup: number | undefined, sources: PayloadSources): PreparedVolume {
  const setUpFailed = (err: unknown): VolumeError => {
    const message = (err as Error).message
    return new VolumeError(`MountVolume.SetUp failed for volume "${volume.name}" : ${message}`, {
      cause: err instanceof PayloadError ? undefined : err,
      hint: message.includes(`configmap "${CLUSTER_CA_CONFIGMAP}" not found`) ? CLUSTER_CA_HINT : undefined,
    })
  }
  let payload: ReturnType<typeof volumePayload>
  let nested: string[]
  try {
    payload = volumePayload(volume, sources)
    nested = nestedMountPoints(volume.name, sources.pod)
  } catch (err) {
    throw setUpFailed(err)
  }
  const kind = volume.configMap !== undefined ? 'configMap' : volume.secret !== undefined ? 'secret' : volume.downwardAPI !== undefined ? 'downwardAPI' : 'projected'
  // kubelet wraps a memory-backed emptyDir for each but configMap, whose own source wishes it were one too
  const isMemory = kind !== 'configMap'
  const prepared = makeEmptyDir(volume.name, join(dir, kind.toLowerCase(), volume.name), isMemory ? memoryVolumeBytes(undefined, podMemoryLimitBytes, allocatableMemoryBytes()) : null, kind)
  prepared.isReadOnly = true
  try {
    fillFileVolume(prepared.hostPath, payload, nested, fsGroup)
  } catch (err) {
    teardownVolumes([prepared])
    throw setUpFailed(err)
  }
  return prepared
}

/** The ConfigMap every namespace of a cluster has, which a pod exported from one names in its kube-api-access-* volume. */
const CLUSTER_CA_CONFIGMAP = 'kube-root-ca.crt'
const CLUSTER_CA_HINT = `a cluster gives every namespace the ConfigMap ${CLUSTER_CA_CONFIGMAP} (its CA certificate), and a pod exported from one (kubectl get pod -o yaml) keeps the kube-api-access-* volume that reads it: give the ConfigMap beside the pod, or drop the volume and its volumeMounts`

/** kubelet's roMask, and for directories execMask and setgid */
const READ_ONLY_FILE_BITS = 0o440
const READ_ONLY_DIR_BITS = 0o2550

/**
 * kubelet's getNestedMountpoints: where, in any container, another volume is
 * mounted below one of this volume's mount paths, the directory relative to
 * the volume (only the first level of nesting: under /a, /a/b but not /a/b/c).
 * @throws Error for a mount path that starts with `..`
 */
export function nestedMountPoints(volumeName: string, pod: DefaultedPod): string[] {
  const found: string[] = []
  for (const container of [...pod.spec.initContainers, ...pod.spec.containers]) {
    const all = container.volumeMounts.map((m) => posix.normalize(m.mountPath).replace(/(.)\/+$/, '$1')).sort()
    const mine = container.volumeMounts.filter((m) => m.name === volumeName).map((m) => posix.normalize(m.mountPath).replace(/(.)\/+$/, '$1'))
    for (const mountPoint of mine) {
      if (mountPoint.startsWith('../')) throw new Error(`invalid container mount point ${mountPoint}`)
      const prefix = mountPoint === '/' ? '/' : `${mountPoint}/`
      let previous = ''
      for (const other of all) {
        if (!other.startsWith(prefix)) continue
        if (previous !== '' && other.startsWith(previous)) continue
        previous = `${other}/`
        found.push(other.slice(prefix.length))
      }
    }
  }
  return found
}

/**
 * Fill the volume's (empty) directory: its nested mount points, then the
 * payload; with fsGroup, ownership as kubelet sets it on a read-only volume.
 */
export function fillFileVolume(dir: string, payload: ReadonlyMap<string, FileProjection>, nested: readonly string[], fsGroup: number | undefined): void {
  for (const sub of nested) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 })
  writePayload(dir, payload, new Date(), fsGroup === undefined ? undefined : () => setReadOnlyOwnership(dir, fsGroup))
}

/** SetVolumeOwnership of a read-only volume: every entry below dir (dir too) in fsGroup, links unchanged but their group. */
export function setReadOnlyOwnership(dir: string, fsGroup: number): void {
  const visit = (path: string): void => {
    const stat = lstatSync(path)
    lchownSync(path, -1, fsGroup)
    if (stat.isSymbolicLink()) return
    chmodSync(path, (stat.mode & 0o7777) | (stat.isDirectory() ? READ_ONLY_DIR_BITS : READ_ONLY_FILE_BITS))
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
  }
  visit(dir)
}
