// rm -rf for the directories podshim makes for a pod (its state and data
// directories), without what fs.rmSync's walk costs: that tries rmdir on
// every entry first and catches the error, and each error is an exception
// with a stack (~1 ms of every pod's teardown, bench/). Symlinks are
// removed, never followed, and a directory on another file system (a
// mount left behind) is an error, not emptied: its content is not ours.
import { type Dirent, lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'

function removeDir(dir: string, dev: number): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }) as Dirent[]) {
    const path = join(dir, entry.name)
    if (!entry.isDirectory()) unlinkSync(path)
    else if (lstatSync(path).dev !== dev) throw Object.assign(new Error(`remove ${path}: a mount point, left as it is`), { code: 'EBUSY', path })
    else removeDir(path, dev)
  }
  rmdirSync(dir)
}

/** Removes path and everything under it; a path that does not exist is not an error. */
export function removeTree(path: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false })
  if (st === undefined) return
  if (st.isDirectory()) removeDir(path, st.dev)
  else unlinkSync(path)
}
