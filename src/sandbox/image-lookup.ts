// What podshim reads from an image before its container exists: its users
// and groups (/etc/passwd, /etc/group: the uid, primary gid, home and
// supplementary groups containerd and runc take from them) and whether a
// command is an executable file (the PATH search). Both look at the image's
// lookup root as the host sees it, so every path is first resolved inside
// that root (resolve-in-root.ts): an image whose /etc/passwd or /bin/sh is
// an absolute symlink means its own file, never the host's. passwd(5), group(5).
import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { resolveInRoot } from './resolve-in-root'
import { isId, type ImageUsers, type PasswdEntry } from './process-spec'

/** The host path of an in-image path, its links followed inside root. */
function hostPathIn(root: string, path: string): string {
  return join(root, resolveInRoot(root, path))
}

/** The colon-separated fields of each non-empty line of an image file; none when the image lacks it. */
function recordsOf(root: string, path: string): string[][] {
  let text = ''
  try {
    text = readFileSync(hostPathIn(root, path), 'utf8')
  } catch {
    return []
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((l) => l.split(':'))
}

/** The image's /etc/passwd and /etc/group, read afresh on each question (first matching entry wins, as libcontainer/user). */
export function imageUsers(root: string): ImageUsers {
  const passwd = (): PasswdEntry[] => recordsOf(root, '/etc/passwd')
    .filter((f) => f.length >= 4 && isId(f[2]) && isId(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }))
  const groups = (): Array<{ name: string; gid: number; members: string[] }> => recordsOf(root, '/etc/group')
    .filter((f) => f.length >= 3 && isId(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '') }))
  return {
    byName: (name) => passwd().find((u) => u.name === name),
    byUid: (uid) => passwd().find((u) => u.uid === uid),
    groupByName: (name) => groups().find((g) => g.name === name)?.gid,
    // as containerd's WithAdditionalGIDs: the groups that list the user, not the one named after it
    memberGroups: (user) => groups().filter((g) => g.name !== user && g.members.includes(user)).map((g) => g.gid),
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
