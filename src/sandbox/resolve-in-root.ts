// Where a path inside a container's root leads once its symlinks are
// followed as the container would follow them: an absolute link starts again
// at the root, `..` never climbs above it. The /etc files podshim mounts go
// where the image's links point (a distribution's /etc/resolv.conf ->
// ../run/systemd/resolve/stub-resolv.conf), as runc mounts them. The child
// resolves every mount target inside the root again (OpenRoot), so this
// decides only the path, never what the host is.
import { lstatSync, readlinkSync } from 'node:fs'
import { join, posix } from 'node:path'

/** Linux's limit of symlinks in one lookup (MAXSYMLINKS). */
const MAX_LINKS = 40

/**
 * The absolute in-root path that path leads to, given the root as the host
 * sees it. Components that do not exist end the walk: the rest is kept as it
 * is (the caller may create them). Throws ELOOP past 40 links.
 */
export function resolveInRoot(root: string, path: string): string {
  const pending = posix.normalize(`/${path}`).split('/').filter((p) => p !== '')
  let resolved: string[] = []
  let links = 0
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === '..') {
      resolved.pop()
      continue
    }
    const candidate = [...resolved, part]
    let target: string | undefined
    try {
      const hostPath = join(root, ...candidate)
      if (lstatSync(hostPath).isSymbolicLink()) target = readlinkSync(hostPath)
    } catch {
      return `/${[...candidate, ...pending].join('/')}`
    }
    if (target === undefined) {
      resolved = candidate
      continue
    }
    if (++links > MAX_LINKS) throw Object.assign(new Error(`resolve '${path}' in the container's root: too many levels of symbolic links`), { code: 'ELOOP' })
    if (target.startsWith('/')) resolved = []
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'))
  }
  return `/${resolved.join('/')}`
}
