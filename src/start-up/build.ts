// `node dist/start-up/build.js`, the last step of `npm run build`: podshim's
// start-up bundle, which bin/podshim starts from (launch.ts).
//
//   build/podshim.bundle.js       the modules that loading the CLI and
//                                 `run` evaluates, each in its CommonJS
//                                 wrapper, for module-table.ts to run
//   build/podshim.bundle-more.js  the other modules reachable from ROOTS
//                                 (module-graph.ts): image store and pulls,
//                                 probes; run only once a command needs one
//   build/podshim.*.cache         V8's code cache of each script with every
//                                 function compiled, so no run compiles any
//   build/podshim.bundle.json     the package root and the mtime and size of
//                                 each bundled file and of the scripts and
//                                 caches above, checked at every start;
//                                 written last: without it there is no bundle
//   build/podshim.node            the node that ran this build, which
//                                 bin/podshim runs (root's PATH may have none)
//
// V8 compiles a function when it first runs; a code cache holds only what
// was compiled when it was made. So the script is compiled here with V8's
// lazy compilation off (`--no-lazy`), which is switched back on before the
// cache is made: V8 accepts a cache only under the flags it runs with. A
// fresh Node then checks that it accepts the cache; a build where it does
// not keeps the bundle without a cache, and says so.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { Script } from 'node:vm'

import { createRequire } from 'node:module'

import { bundlePaths, type BundleStamps, type FileStamp, PACKAGE_ROOT, type PartPaths } from './launch'
import { collectModuleGraph } from './module-graph'
import { makeModuleTable, type BundlePart } from './module-table'

/**
 * Where the module graph starts: the CLI, and the modules its commands load
 * lazily. Everything reachable from them is bundled, so no module of
 * podshim's is ever loaded twice (once from the bundle, once by Node).
 */
const ROOTS = ['cli.js', 'commands/run.js', 'commands/image.js', 'supervisor/probe-agent.js', 'images/store-resolver.js']
  .map((f) => join(PACKAGE_ROOT, 'dist', f))
/** What every `podshim run` loads: the modules these evaluate go into the first script. */
const CLI = join(PACKAGE_ROOT, 'dist', 'cli.js')
const START = [CLI, join(PACKAGE_ROOT, 'dist', 'commands', 'run.js')]
/** The node bin/podshim runs. */
const NODE_PATH_FILE = join(PACKAGE_ROOT, 'build', 'podshim.node')
/** Packages that load native code: left to Node. */
const EXTERNAL = new Set(['ffi-rs', 'typescript'])

/**
 * Where writing a non-ASCII character as a \\u escape could change what a
 * module means: right after a backslash (a backslash and é is "é" in a
 * string, a backslash and its escape is the escape's own text); the line
 * terminators that end a `//` comment only as characters; whitespace
 * between tokens (an escape there is a syntax error); and templates whose
 * raw text a program can read.
 */
const UNSAFE_TO_ESCAPE: Array<[RegExp, string]> = [
  [/\\[^\x00-\x7f]/, 'a non-ASCII character after a backslash'],
  [/[\u2028\u2029\ufeff]/, 'U+2028, U+2029 or U+FEFF'],
  [/(?![\x00-\x7f])\s/, 'non-ASCII whitespace'],
]

const escapeNonAscii = (text: string): string => text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** The module's source with non-ASCII characters as \\u escapes; throws, naming the file, where that could change its meaning. */
export function asciiSource(file: string, source: string): string {
  if (!/[^\x00-\x7f]/.test(source)) return source
  for (const [pattern, what] of UNSAFE_TO_ESCAPE) {
    if (pattern.test(source)) throw new Error(`bundle '${file}': ${what} cannot be written as an escape`)
  }
  if (/\.raw\b/.test(source)) throw new Error(`bundle '${file}': it reads a template's raw text, which an escape would change`)
  return escapeNonAscii(source)
}

/** JSON text, ASCII only: inside a JSON string an escape always means the character. */
const asciiJson = (value: unknown): string => escapeNonAscii(JSON.stringify(value))

/** As Node's loader takes a file: without its byte-order mark, and for a script, its #! line. */
function wrapped(file: string, source: string): string {
  const text = source.replace(/^\ufeff/, '')
  if (file.endsWith('.json')) return `{ kind: 'json', value: ${asciiJson(JSON.parse(text))} }`
  const body = asciiSource(file, text.replace(/^#!.*/, ''))
  return `{ kind: 'js', wrapper: function (exports, require, module, __filename, __dirname) {${body}\n} }`
}

/**
 * A bundle script: one expression, a BundlePart (module-table.ts), ASCII
 * only, so V8 keeps it one byte a character and it reads as latin1. Not
 * strict at the top: each module keeps the mode it declares.
 */
export function bundleScript(files: string[], read: (file: string) => string, resolved?: Record<string, string>): string {
  const modules = files.map((f) => `${asciiJson(f)}: ${wrapped(f, read(f))}`).join(',\n')
  return `// generated by src/start-up/build.ts: podshim's modules for its start-up bundle
({
modules: {
${modules}
},
${resolved === undefined ? '' : `resolved: ${asciiJson(resolved)}`}
})
`
}

/**
 * The modules that loading START and building the CLI for a `run` load:
 * only module tops and commander's set-up run, which load nothing native.
 */
function startModules(files: string[], resolved: Record<string, string>, read: (file: string) => string): Set<string> {
  const part = new Script(bundleScript(files, read)).runInThisContext() as BundlePart
  const loaded = new Set<string>()
  const table = makeModuleTable({ find: (file) => (loaded.add(file), part.modules[file]), resolved }, createRequire)
  for (const file of START) table.load(file)
  ;(table.load(CLI) as typeof import('../cli')).buildProgram(['node', 'podshim', 'run', 'pod.yaml'])
  return loaded
}

/** V8's code cache of the script with every function compiled. */
function fullCodeCache(source: string, filename: string): Buffer {
  setFlagsFromString('--no-lazy')
  let script: Script
  try {
    script = new Script(source, { filename })
  } finally {
    setFlagsFromString('--lazy')
  }
  return script.createCachedData()
}

/** Whether a fresh Node (no NODE_OPTIONS) accepts the cache for the script. */
function cacheAccepted(scriptPath: string, cachePath: string): boolean {
  const check = `const { readFileSync } = require('node:fs')
const { Script } = require('node:vm')
const [file, cache] = process.argv.slice(1)
process.stdout.write(String(new Script(readFileSync(file, 'utf8'), { filename: file, cachedData: readFileSync(cache) }).cachedDataRejected))`
  const r = spawnSync(process.execPath, ['-e', check, scriptPath, cachePath], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  return r.status === 0 && r.stdout === 'false'
}

/** Writes one script and its cache beside where they go (a rename across file systems would fail), then moves them into place. */
function writePart(part: PartPaths, source: string): boolean {
  const work = `${part.script}.${process.pid}`
  try {
    writeFileSync(`${work}.js`, source)
    writeFileSync(`${work}.cache`, fullCodeCache(source, part.script))
    renameSync(`${work}.js`, part.script)
    renameSync(`${work}.cache`, part.cache)
  } finally {
    for (const ext of ['js', 'cache']) rmSync(`${work}.${ext}`, { force: true })
  }
  if (cacheAccepted(part.script, part.cache)) return true
  rmSync(part.cache, { force: true })
  return false
}

function stamp(file: string): FileStamp {
  const st = statSync(file)
  return [file, st.mtimeMs, st.size]
}

function buildBundle(): { modules: number; start: number; bytes: number; cached: boolean } {
  const paths = bundlePaths(PACKAGE_ROOT)
  const graph = collectModuleGraph(ROOTS, EXTERNAL)
  const fileStamps = graph.files.map(stamp)
  const sources = new Map(graph.files.map((f) => [f, readFileSync(f, 'utf8')]))
  const read = (f: string): string => sources.get(f) as string
  const start = startModules(graph.files, graph.resolved, read)
  const startSource = bundleScript(graph.files.filter((f) => start.has(f)), read, graph.resolved)
  const moreSource = bundleScript(graph.files.filter((f) => !start.has(f)), read)
  mkdirSync(dirname(paths.stamps), { recursive: true })
  const cached = [writePart(paths.start, startSource), writePart(paths.more, moreSource)].every(Boolean)
  const made = [paths.start.script, paths.start.cache, paths.more.script, paths.more.cache].filter((f) => existsSync(f))
  const stamps: BundleStamps = { root: PACKAGE_ROOT, files: [...fileStamps, ...made.map(stamp)] }
  const work = `${paths.stamps}.${process.pid}`
  writeFileSync(work, JSON.stringify(stamps))
  renameSync(work, paths.stamps)
  return { modules: graph.files.length, start: start.size, bytes: startSource.length + moreSource.length, cached }
}

if (require.main === module) {
  const paths = bundlePaths(PACKAGE_ROOT)
  for (const path of [paths.stamps, paths.start.script, paths.start.cache, paths.more.script, paths.more.cache]) rmSync(path, { force: true })
  mkdirSync(dirname(NODE_PATH_FILE), { recursive: true })
  writeFileSync(NODE_PATH_FILE, `${process.execPath}\n`)
  try {
    const { modules, start, bytes, cached } = buildBundle()
    process.stdout.write(`podshim: start-up bundle ${paths.start.script} (${modules} modules, ${start} of them loaded by every run; ${(bytes / 2 ** 10).toFixed(0)} KiB)\n`)
    if (!cached) process.stderr.write('podshim: warning: this Node refused the start-up bundle\'s code cache; podshim will start slower\n')
  } catch (err) {
    process.stderr.write(`podshim: warning: no start-up bundle, podshim will start slower: ${(err as Error).message}\n`)
  }
}
