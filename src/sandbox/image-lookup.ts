// What podshim reads from an image before its container exists: the user a
// `USER name` or runAsUser-less config names (/etc/passwd) and whether a
// command is an executable file (the PATH search). Both look at the image's
// lookup root as the host sees it, so every path is first resolved inside
// that root (resolve-in-root.ts): an image whose /etc/passwd or /bin/sh is
// an absolute symlink means its own file, never the host's.
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { resolveInRoot } from './resolve-in-root'

/** The host path of an in-image path, its links followed inside root. */
function hostPathIn(root: string, path: string): string {
  return join(root, resolveInRoot(root, path))
}

/** Looks a user name up in the image's /etc/passwd: [uid, gid], or undefined. */
export function userLookup(root: string): (name: string) => [number, number] | undefined {
  return (name) => {
    let passwd = ''
    try {
      passwd = readFileSync(hostPathIn(root, '/etc/passwd'), 'utf8')
    } catch {
      return undefined
    }
    for (const line of passwd.split('\n')) {
      const f = line.split(':')
      if (f[0] === name && f.length >= 4) return [Number(f[2]), Number(f[3])]
    }
    return undefined
  }
}

/** Whether an in-image path is an executable file, as execve would find it in the container. */
export function isExecutableIn(root: string): (path: string) => boolean {
  return (path) => {
    try {
      const hostPath = hostPathIn(root, path)
      accessSync(hostPath, constants.X_OK)
      return statSync(hostPath).isFile()
    } catch {
      return false
    }
  }
}
