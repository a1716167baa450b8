// mkdir -p for the roots podshim makes a pod's directories under (state,
// logs). One level at a time, because fs.mkdirSync's recursive mode reports
// ENOENT for the last path where an ancestor failed with another error
// (EROFS on a read-only root, EACCES, ENOTDIR), and the error must name
// the real one. mkdir(2)
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/** Makes dir and its missing ancestors with `mode`; a level that exists already is fine. */
export function makeDirs(dir: string, mode: number): void {
  const parent = dirname(dir)
  if (parent !== dir && !existsSync(parent)) makeDirs(parent, mode)
  try {
    mkdirSync(dir, { mode })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}
