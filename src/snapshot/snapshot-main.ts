// What runs when Node starts from podshim's snapshot (bin/podshim passes
// its own path as argv[1]). build.ts embeds `snapshotMain`'s source text in
// the snapshot's entry script, so it must stay self-contained: no imports,
// nothing from outside its own body.
//
// The snapshot holds modules as they were when it was made, from where they
// were then. It is used only while both still hold: the package is where it
// was (real paths compared), and every bundled file has the mtime and size
// it had (so a `tsc` or an `npm update` since is never hidden by an old
// snapshot). Otherwise dist/bin.js of the package that was started loads
// the ordinary way.
import type { ModuleTable } from './module-table'

/** [absolute path, mtimeMs, size] of each bundled file when the snapshot was made. */
export type FileStamp = [string, number, number]

export function snapshotMain(table: ModuleTable, bakedRoot: string, stamps: FileStamp[], builtinRequire: (id: string) => unknown): void {
  const { dirname, resolve } = builtinRequire('node:path') as typeof import('node:path')
  const { realpathSync, statSync } = builtinRequire('node:fs') as typeof import('node:fs')
  const { createRequire } = builtinRequire('node:module') as typeof import('node:module')
  if (process.argv[1] === undefined) {
    process.stderr.write('podshim: this snapshot starts through bin/podshim\n')
    process.exitCode = 2
    return
  }
  const launcher = resolve(process.argv[1])
  process.argv[1] = launcher
  table.attachNodeLoader(createRequire)
  let root = resolve(dirname(launcher), '..')
  try {
    root = realpathSync(root)
  } catch {
    // compared as it is
  }
  const isUnchanged = ([file, mtimeMs, size]: FileStamp): boolean => {
    try {
      const st = statSync(file)
      return st.mtimeMs === mtimeMs && st.size === size
    } catch {
      return false
    }
  }
  if (root !== bakedRoot || !stamps.every(isUnchanged)) {
    createRequire(launcher)(resolve(root, 'dist', 'bin.js'))
    return
  }
  const cli = table.load(resolve(bakedRoot, 'dist', 'cli.js')) as { main(argv: string[]): Promise<void> }
  void cli.main(process.argv)
}
