// What bin/podshim runs (with the node that built the package, so that
// `sudo podshim` works where root's PATH has none): the CLI from podshim's
// start-up bundle where it can serve, else from dist/ loaded file by file.
//
// The bundle (build.ts) holds every module the CLI can load, in two
// scripts: what every `podshim run` loads, and the rest (image store and
// pulls, probes), compiled only when a command first needs one of those.
// Each comes with V8's code cache of it, every function compiled, so a
// start reads a few files and deserializes bytecode instead of resolving,
// reading and compiling ~165 files (bench/). The bundle holds the package's
// files as they were when it was made, from where they were then, so it
// serves only while both still hold: the package is where it was made, and
// every bundled file, and each bundle script and cache, has the mtime and
// size it had (a `tsc` or an `npm update` since is never hidden by an old
// bundle; V8 itself checks only a cache's source length). A code cache V8
// refuses (another Node, V8 flags in NODE_OPTIONS) costs only speed: the
// functions compile as they run. PODSHIM_DEBUG=1 says on stderr why the
// bundle or a cache was not used.
import { readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { Script } from 'node:vm'

import { makeModuleTable, type BundledModule, type BundlePart } from './module-table'

/** The package's root (real path: Node resolves bin/podshim's symlinks). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..')

/** [absolute path, mtimeMs, size] of a bundled file when the bundle was made. */
export type FileStamp = [string, number, number]

/** build/podshim.bundle.json: written last, so its presence means the bundle is whole. */
export interface BundleStamps {
  root: string
  /** the bundled files, then the bundle's own scripts and caches */
  files: FileStamp[]
}

/** A bundle script and its code cache. */
export interface PartPaths {
  script: string
  cache: string
}

export interface BundlePaths {
  /** what every `podshim run` loads, and the resolved edges of all */
  start: PartPaths
  /** the modules only some commands load */
  more: PartPaths
  stamps: string
}

export function bundlePaths(root: string): BundlePaths {
  const base = join(root, 'build', 'podshim')
  const part = (name: string): PartPaths => ({ script: `${base}.${name}.js`, cache: `${base}.${name}.cache` })
  return { start: part('bundle'), more: part('bundle-more'), stamps: `${base}.bundle.json` }
}

type Main = (argv: string[]) => Promise<void>

/** Built-ins that bundled modules load at their top but a run does not use (module-table.ts). */
const LAZY_BUILTINS = new Set(['node:child_process', 'child_process'])

/** Says why under PODSHIM_DEBUG; returns undefined, for `return debug(…)` where the bundle cannot serve. */
function debug(note: string): undefined {
  if (process.env.PODSHIM_DEBUG !== undefined) process.stderr.write(`podshim: start-up: ${note}\n`)
  return undefined
}

function isUnchanged([file, mtimeMs, size]: FileStamp): boolean {
  const st = statSync(file, { throwIfNoEntry: false })
  return st !== undefined && st.mtimeMs === mtimeMs && st.size === size
}

const isStamp = (s: unknown): s is FileStamp =>
  Array.isArray(s) && s.length === 3 && typeof s[0] === 'string' && typeof s[1] === 'number' && typeof s[2] === 'number'

function readStamps(file: string): BundleStamps | undefined {
  let stamps: Partial<BundleStamps>
  try {
    stamps = JSON.parse(readFileSync(file, 'utf8')) as Partial<BundleStamps>
  } catch {
    return undefined
  }
  return typeof stamps.root === 'string' && Array.isArray(stamps.files) && stamps.files.every(isStamp) ? stamps as BundleStamps : undefined
}

/** Runs a bundle script, with its code cache where V8 takes it. */
function runPart(part: PartPaths): BundlePart {
  // the build writes it ASCII only
  const source = readFileSync(part.script, 'latin1')
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(part.cache)
  } catch {
    debug(`no code cache (${part.cache}): compiling as it runs`)
  }
  const script = new Script(source, { filename: part.script, cachedData })
  if (script.cachedDataRejected === true) debug(`V8 refused ${part.cache} (another Node, or V8 flags): compiling as it runs`)
  return script.runInThisContext() as BundlePart
}

/** The CLI's main from the start-up bundle of the package at root, or undefined (and why, under PODSHIM_DEBUG) where it cannot serve. */
function mainFromBundle(root: string): Main | undefined {
  const paths = bundlePaths(root)
  const stamps = readStamps(paths.stamps)
  if (stamps === undefined) return debug(`no bundle (${paths.stamps} missing or unreadable): loading dist/`)
  if (stamps.root !== root) return debug(`the bundle was made for ${stamps.root}: loading dist/`)
  const changed = stamps.files.find((stamp) => !isUnchanged(stamp))
  if (changed !== undefined) return debug(`${changed[0]} changed since the bundle was made: loading dist/`)
  let start: BundlePart
  try {
    start = runPart(paths.start)
  } catch (err) {
    return debug(`${(err as Error).message}: loading dist/`)
  }
  let more: Record<string, BundledModule> | undefined
  const loadMore = (file: string): Record<string, BundledModule> => {
    debug(`${file} is in the rest of the bundle: loading ${paths.more.script}`)
    return runPart(paths.more).modules
  }
  const find = (file: string): BundledModule | undefined => start.modules[file] ?? (more ??= loadMore(file))[file]
  const table = makeModuleTable({ find, resolved: start.resolved ?? {} }, createRequire, LAZY_BUILTINS)
  return (table.load(join(root, 'dist', 'cli.js')) as { main: Main }).main
}

function launch(): void {
  const main = mainFromBundle(PACKAGE_ROOT) ?? (require('../cli') as typeof import('../cli')).main
  void main(process.argv)
}

if (require.main === module) launch()
