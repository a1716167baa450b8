// bin/podshim and the start-up bundle (src/start-up/), checked on a copy of
// the built package with a bundle of its own: the bundle holds the CLI
// (stack traces name its script), a command that needs an image or probe
// module loads the rest of it, and bin/podshim loads dist/ where the bundle
// cannot serve: none built, a bundled file or a bundle script or cache
// changed, or the package moved since it was made. A code cache V8 refuses (V8 flags in NODE_OPTIONS,
// another Node) leaves the bundle serving. The runs of real pods through
// the bundle are the other integration tests (they start the repository's
// bin/podshim, which has one on the host, not in the VM); this file adds a
// pod run from a bundle that keeps to its first part and its cache, that
// two runs get different uids, and that podshim's output is whole however
// slowly it is read.
import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { CLI_PATH, RUN_TIMEOUT_MS, cliEnv, podEnv, podManifest, shContainer, waitS, withNodeOnPath } from './fixtures/helpers'

const REPO = resolve(__dirname, '../../..')
const VERSION = (require(join(REPO, 'package.json')) as { version: string }).version

/** A copy of the built package (bin, dist, package.json; node_modules and build/Release linked). */
function packageCopy(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-start-up-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = join(dir, 'podshim')
  mkdirSync(join(root, 'build'), { recursive: true })
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(REPO, part), join(root, part), { recursive: true })
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'))
  symlinkSync(join(REPO, 'build', 'Release'), join(root, 'build', 'Release'))
  return root
}

function buildBundle(t: Test, root: string): void {
  const built = spawnSync(process.execPath, [join(root, 'dist', 'start-up', 'build.js')], { encoding: 'utf8' })
  t.equal(built.status, 0, built.stderr)
  t.match(built.stdout, /start-up bundle .*podshim\.bundle\.js \(\d+ modules, \d+ of them loaded by every run/)
  t.equal(built.stderr, '', 'no warning')
  for (const file of ['podshim.bundle.js', 'podshim.bundle.cache', 'podshim.bundle-more.js', 'podshim.bundle-more.cache', 'podshim.bundle.json', 'podshim.node']) {
    t.ok(existsSync(join(root, 'build', file)), file)
  }
}

function podshim(root: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(root, 'bin', 'podshim'), args, { encoding: 'utf8', env: withNodeOnPath({ ...process.env, ...env }) })
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}

const version = (root: string, env: NodeJS.ProcessEnv = {}) => podshim(root, ['--version'], env)

/**
 * Where a run of the package's bin/podshim loaded its CLI from, told by the
 * stack trace PODSHIM_DEBUG prints for an error: the bundle
 * (build/podshim.bundle.js) or dist/; and what it said about start-up.
 */
function startedFrom(root: string, env: NodeJS.ProcessEnv = {}): { from: 'bundle' | 'dist' | string; notes: string[] } {
  const r = podshim(root, ['run', '/nonexistent/pod.yaml'], { ...env, PODSHIM_DEBUG: '1' })
  const notes = r.stderr.split('\n').filter((line) => line.startsWith('podshim: start-up: '))
  const frame = /^\s+at readManifest \((.*):\d+:\d+\)$/m.exec(r.stderr)?.[1]
  if (frame?.endsWith('/build/podshim.bundle.js')) return { from: 'bundle', notes }
  // (or its source, where source maps are on, as under tap)
  if (frame?.endsWith('/dist/commands/read-manifests.js') || frame?.endsWith('/src/commands/read-manifests.ts')) return { from: 'dist', notes }
  return { from: `neither: ${r.stderr}`, notes }
}

t.test('bin/podshim starts from the bundle, with its code cache, which holds the CLI and what a run loads', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' })
  t.same(startedFrom(root), { from: 'bundle', notes: [] }, 'no note: the cache was taken, the rest of the bundle not needed')
})

t.test('a command that needs an image module loads the rest of the bundle', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  const dataRoot = mkdtempSync(join(tmpdir(), 'podshim-start-up-data-'))
  t.teardown(() => rmSync(dataRoot, { recursive: true, force: true }))
  const r = podshim(root, ['image', 'ls', '--data-root', dataRoot], { PODSHIM_DEBUG: '1' })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stderr, /^podshim: start-up: .*\/dist\/commands\/image\.js is in the rest of the bundle: loading .*\/build\/podshim\.bundle-more\.js$/m)
  t.notMatch(r.stderr, /refused|no code cache/)
})

t.test('a code cache V8 refuses (V8 flags) leaves the bundle serving, compiled as it runs', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  for (const flag of ['--stack-trace-limit=50', '--max-old-space-size=200']) {
    const options = { NODE_OPTIONS: `--no-warnings ${flag}` }
    t.same(version(root, options), { status: 0, stdout: VERSION, stderr: '' }, `a V8 flag in NODE_OPTIONS: ${flag}`)
    const { from, notes } = startedFrom(root, options)
    t.equal(from, 'bundle')
    t.match(notes, [/V8 refused .*podshim\.bundle\.cache/])
  }
})

t.test('a bundle script or cache changed or gone since the build: dist/ is loaded', async (t) => {
  const build = (root: string, file: string): string => join(root, 'build', file)
  // V8 checks only a cache's source length: a script of the same length must not run with the old cache
  const sameLength = packageCopy(t)
  buildBundle(t, sameLength)
  const script = build(sameLength, 'podshim.bundle.js')
  const text = readFileSync(script, 'latin1')
  writeFileSync(script, text.replace('// generated by', '// GENERATED BY'), 'latin1')
  t.equal(readFileSync(script).length, text.length)
  t.same(version(sameLength), { status: 0, stdout: VERSION, stderr: '' })
  t.same(startedFrom(sameLength), { from: 'dist', notes: [`podshim: start-up: ${script} changed since the bundle was made: loading dist/`] })

  const swapped = packageCopy(t)
  buildBundle(t, swapped)
  renameSync(build(swapped, 'podshim.bundle-more.cache'), build(swapped, 'podshim.bundle.cache'))
  t.same(version(swapped), { status: 0, stdout: VERSION, stderr: '' }, 'a cache of another script')
  t.equal(startedFrom(swapped).from, 'dist')

  const partGone = packageCopy(t)
  buildBundle(t, partGone)
  rmSync(build(partGone, 'podshim.bundle-more.js'))
  const r = podshim(partGone, ['image', 'ls', '--data-root', join(partGone, 'images')], { PODSHIM_DEBUG: '1' })
  t.equal(r.status, 0, 'a command that needs the rest of the bundle still runs')
  t.match(r.stderr, /podshim\.bundle-more\.js changed since the bundle was made: loading dist\//)

  const stampsGarbled = packageCopy(t)
  buildBundle(t, stampsGarbled)
  writeFileSync(build(stampsGarbled, 'podshim.bundle.json'), '{"root": 1, "files": {}}')
  t.same(version(stampsGarbled), { status: 0, stdout: VERSION, stderr: '' })
  t.equal(startedFrom(stampsGarbled).from, 'dist')
})

t.test('bin/podshim runs the node that built the package, also where PATH has none', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  t.equal(readFileSync(join(root, 'build', 'podshim.node'), 'utf8'), `${process.execPath}\n`)
  const r = spawnSync(join(root, 'bin', 'podshim'), ['--version'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } })
  t.same({ status: r.status, stdout: r.stdout.trim(), stderr: r.stderr }, { status: 0, stdout: VERSION, stderr: '' })
})

t.test('without a bundle, bin/podshim loads dist/', async (t) => {
  const root = packageCopy(t)
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' })
  t.same(startedFrom(root), { from: 'dist', notes: [`podshim: start-up: no bundle (${join(root, 'build', 'podshim.bundle.json')} missing or unreadable): loading dist/`] })
})

t.test('a file bundled that has changed since: dist/ is loaded', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  const packageJson = join(root, 'package.json')
  writeFileSync(packageJson, readFileSync(packageJson, 'utf8').replace(`"version": "${VERSION}"`, '"version": "99.0.0"'))
  t.same(version(root), { status: 0, stdout: '99.0.0', stderr: '' }, 'the version read now, not the one in the bundle')
  t.same(startedFrom(root), { from: 'dist', notes: [`podshim: start-up: ${packageJson} changed since the bundle was made: loading dist/`] })
})

t.test('through a symlinked directory the bundle still serves', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  const link = `${root}-link`
  symlinkSync(root, link)
  t.teardown(() => rmSync(link, { force: true }))
  t.same(version(link), { status: 0, stdout: VERSION, stderr: '' })
  t.equal(startedFrom(link).from, 'bundle')
})

t.test('a package moved after its bundle was made loads its own dist/', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  const moved = `${root}-moved`
  renameSync(root, moved)
  t.teardown(() => rmSync(moved, { recursive: true, force: true }))
  t.same(version(moved), { status: 0, stdout: VERSION, stderr: '' })
  t.same(startedFrom(moved), { from: 'dist', notes: [`podshim: start-up: the bundle was made for ${root}: loading dist/`] })
})

t.test('a pod run from the bundle needs nothing from the rest of it, and V8 takes the cache', async (t) => {
  const root = packageCopy(t)
  buildBundle(t, root)
  const env = podEnv(t)
  const r = await env.run(podManifest('from-bundle', [shContainer('c', 'echo ran')]), { cli: join(root, 'bin', 'podshim'), env: { PODSHIM_DEBUG: '1' } })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /c +\| ran/)
  t.notMatch(r.stderr, /podshim: start-up:/, 'no start-up note: the bundle served, with its cache, and only its first part')
})

t.test('two runs of a pod without a uid get different uids', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('no-uid', [shContainer('c', 'true')])
  for (let i = 0; i < 2; i++) t.equal((await env.run(manifest)).code, 0)
  const podLogDirs = readdirSync(env.logRoot).filter((d) => d.startsWith('default_no-uid_'))
  t.equal(podLogDirs.length, 2, podLogDirs.join(' '))
  for (const dir of podLogDirs) t.match(dir, /^default_no-uid_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

t.test('all output reaches a pipe that is read only after podshim is done', async (t) => {
  const env = podEnv(t)
  // 30000 lines of 100 characters, each prefixed "c | ": far more than a pipe holds
  const file = env.writeManifest(podManifest('big-output', [shContainer('c', "head -c 3000000 /dev/zero | tr '\\0' x | fold -w 100")]))
  // its own process group: on a hang, the guard (or the teardown) kills podshim and wc with the shell
  const sh = spawn('sh', ['-c', `"$0" run ${env.rootArgs().join(' ')} "$1" | (sleep ${waitS(1)}; wc -c)`, CLI_PATH, file],
    { env: cliEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const killGroup = (): void => {
    if (sh.exitCode !== null || sh.signalCode !== null) return
    try {
      process.kill(-sh.pid!, 'SIGKILL')
    } catch {
      // the group is gone
    }
  }
  const timer = setTimeout(killGroup, RUN_TIMEOUT_MS)
  t.teardown(() => {
    clearTimeout(timer)
    killGroup()
  })
  let stdout = ''
  let stderr = ''
  sh.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  sh.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const [status] = await once(sh, 'close') as [number | null]
  t.equal(status, 0, stderr)
  t.equal(Number(stdout.trim()), 30000 * ('c | '.length + 100 + 1), 'every line, none lost at exit')
})
