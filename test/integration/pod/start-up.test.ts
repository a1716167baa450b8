// bin/podshim and the start-up snapshot (src/snapshot/build.ts), checked on
// a copy of the built package with its own snapshot: the snapshot holds the
// CLI (stack traces name its entry script), and bin/podshim falls back to
// dist/bin.js where the snapshot cannot serve: none built, its node gone
// or newer, V8 flags in NODE_OPTIONS, a bundled file changed, or the
// package moved since it was made. The runs of real pods through the
// snapshot are the other integration tests (they start the repository's
// bin/podshim, which has one on the host, not in the VM); this file adds
// that two runs from one snapshot never share a uid (a random pool baked
// into it would break that), and that podshim's output is whole however
// slowly it is read.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { CLI_PATH, podEnv, podManifest, shContainer, waitS, withNodeOnPath } from './fixtures/helpers'

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

function buildSnapshot(t: Test, root: string): void {
  const built = spawnSync(process.execPath, [join(root, 'dist', 'snapshot', 'build.js')], { encoding: 'utf8' })
  t.equal(built.status, 0, built.stderr)
  t.match(built.stdout, /start-up snapshot .*podshim\.blob \(\d+ modules/)
  t.notMatch(built.stderr, /warning/, 'no warning')
}

function version(root: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(root, 'bin', 'podshim'), ['--version'], { encoding: 'utf8', env: withNodeOnPath({ ...process.env, ...env }) })
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() }
}

/**
 * Where a run of the package's bin/podshim loaded its CLI from, told by the
 * stack trace PODSHIM_DEBUG prints for an error: the snapshot's entry
 * script (build/podshim.blob.js) or dist/.
 */
function startedFrom(root: string, env: NodeJS.ProcessEnv = {}): 'snapshot' | 'dist' | string {
  const r = spawnSync(join(root, 'bin', 'podshim'), ['run', '/nonexistent/pod.yaml'], {
    encoding: 'utf8', env: withNodeOnPath({ ...process.env, ...env, PODSHIM_DEBUG: '1' }),
  })
  const frame = /^\s+at readManifest \((.*):\d+:\d+\)$/m.exec(r.stderr)?.[1]
  if (frame?.endsWith('/build/podshim.blob.js')) return 'snapshot'
  // (or its source, where source maps are on, as under tap)
  if (frame?.endsWith('/dist/commands/run.js') || frame?.endsWith('/src/commands/run.ts')) return 'dist'
  return `neither: ${r.stderr}`
}

t.test('bin/podshim starts from the snapshot, which holds the CLI', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  t.ok(existsSync(join(root, 'build', 'podshim.blob')))
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' })
  t.equal(startedFrom(root), 'snapshot')
})

t.test('without a usable snapshot, bin/podshim runs dist/bin.js', async (t) => {
  const root = packageCopy(t)
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' }, 'none built')
  t.equal(startedFrom(root), 'dist')

  buildSnapshot(t, root)
  const recorded = join(root, 'build', 'podshim.blob.node')
  writeFileSync(recorded, '/nonexistent/node\n')
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' }, 'its node is gone')
  t.equal(startedFrom(root), 'dist')

  // a node newer than the snapshot (replaced in place, say): here a wrapper made after it
  const newer = join(root, 'build', 'newer-node')
  writeFileSync(newer, `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 })
  utimesSync(newer, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000))
  writeFileSync(recorded, `${newer}\n`)
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' }, 'its node is newer than it')
  t.equal(startedFrom(root), 'dist')

  buildSnapshot(t, root)
  for (const flag of ['--max-old-space-size=200', '--stack_trace_limit=50', '--experimental-shadow-realm']) {
    const options = { NODE_OPTIONS: `--no-warnings ${flag}` }
    t.same(version(root, options), { status: 0, stdout: VERSION, stderr: '' }, `a V8 flag in NODE_OPTIONS (${flag}) would make Node refuse the snapshot`)
    t.equal(startedFrom(root, options), 'dist')
  }
  t.equal(startedFrom(root, { NODE_OPTIONS: '--no-warnings' }), 'snapshot', 'Node\'s own options leave the snapshot usable')
})

t.test('a file bundled in the snapshot that has changed since: dist/ is loaded', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  const packageJson = join(root, 'package.json')
  writeFileSync(packageJson, readFileSync(packageJson, 'utf8').replace(`"version": "${VERSION}"`, '"version": "99.0.0"'))
  t.same(version(root), { status: 0, stdout: '99.0.0', stderr: '' }, 'the version read now, not the one in the snapshot')
  t.equal(startedFrom(root), 'dist')
})

t.test('through a symlinked directory the snapshot still serves', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  const link = `${root}-link`
  symlinkSync(root, link)
  t.teardown(() => rmSync(link, { force: true }))
  t.same(version(link), { status: 0, stdout: VERSION, stderr: '' })
  t.equal(startedFrom(link), 'snapshot')
})

t.test('a package moved after its snapshot was made loads its own dist/', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  const moved = `${root}-moved`
  renameSync(root, moved)
  t.teardown(() => rmSync(moved, { recursive: true, force: true }))
  t.same(version(moved), { status: 0, stdout: VERSION, stderr: '' })
  t.equal(startedFrom(moved), 'dist')
})

t.test('two runs of a pod without a uid, from one snapshot, get different uids', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  const env = podEnv(t)
  const manifest = podManifest('no-uid', [shContainer('c', 'true')])
  for (let i = 0; i < 2; i++) t.equal((await env.run(manifest, { cli: join(root, 'bin', 'podshim') })).code, 0)
  const podLogDirs = readdirSync(env.logRoot).filter((d) => d.startsWith('default_no-uid_'))
  t.equal(podLogDirs.length, 2, podLogDirs.join(' '))
})

t.test('all output reaches a pipe that is read only after podshim is done', async (t) => {
  const env = podEnv(t)
  // 30000 lines of 100 characters, each prefixed "c | ": far more than a pipe holds
  const file = env.writeManifest(podManifest('big-output', [shContainer('c', "head -c 3000000 /dev/zero | tr '\\0' x | fold -w 100")]))
  const r = spawnSync('sh', ['-c', `"$0" run ${env.rootArgs().join(' ')} "$1" | (sleep ${waitS(1)}; wc -c)`, CLI_PATH, file],
    { encoding: 'utf8', env: withNodeOnPath(process.env) })
  t.equal(r.status, 0, r.stderr)
  t.equal(Number(r.stdout.trim()), 30000 * ('c | '.length + 100 + 1), 'every line, none lost at exit')
})
