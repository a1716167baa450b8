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
import type { DefaultedPod } from '../spec/types'
import { type FileProjection, writePayload } from './atomic-writer'

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
