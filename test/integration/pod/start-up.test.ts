// bin/podshim and the start-up snapshot (src/snapshot/build.ts), checked on
// a copy of the built package with its own snapshot: the snapshot holds the
// CLI (it runs with dist/cli.js gone), and bin/podshim falls back to
// dist/bin.js where the snapshot cannot serve: none built, its node gone,
// V8 flags in NODE_OPTIONS, or the package moved since it was made. The
// runs of real pods through the snapshot are every other test here (they
// start the repository's bin/podshim); this file adds that two of them
// never share a uid, which a random pool baked into the snapshot would
// break.
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { podEnv, podManifest, shContainer, withNodeOnPath } from './fixtures/helpers'

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

/** Runs fn with dist/cli.js out of the way: then only the snapshot can print the version. */
function withoutCliModule<T>(root: string, fn: () => T): T {
  const cli = join(root, 'dist', 'cli.js')
  renameSync(cli, `${cli}.away`)
  try {
    return fn()
  } finally {
    renameSync(`${cli}.away`, cli)
  }
}

t.test('bin/podshim starts from the snapshot, which holds the CLI', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  t.ok(existsSync(join(root, 'build', 'podshim.blob')))
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' })
  t.same(withoutCliModule(root, () => version(root)), { status: 0, stdout: VERSION, stderr: '' }, 'no dist/cli.js needed')
})

t.test('without a usable snapshot, bin/podshim runs dist/bin.js', async (t) => {
  const root = packageCopy(t)
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' }, 'none built')
  t.not(withoutCliModule(root, () => version(root)).status, 0, 'and that one needs dist/cli.js')

  buildSnapshot(t, root)
  writeFileSync(join(root, 'build', 'podshim.blob.node'), '/nonexistent/node\n')
  t.same(version(root), { status: 0, stdout: VERSION, stderr: '' }, 'its node is gone')
  t.not(withoutCliModule(root, () => version(root)).status, 0, 'so dist/cli.js is loaded')

  buildSnapshot(t, root)
  for (const flag of ['--max-old-space-size=200', '--stack_trace_limit=50']) {
    const options = { NODE_OPTIONS: `--no-warnings ${flag}` }
    t.same(version(root, options), { status: 0, stdout: VERSION, stderr: '' }, `a V8 flag in NODE_OPTIONS (${flag}) would make Node refuse the snapshot`)
    t.not(withoutCliModule(root, () => version(root, options)).status, 0, 'so dist/cli.js is loaded')
  }
  t.same(withoutCliModule(root, () => version(root, { NODE_OPTIONS: '--no-warnings' })), { status: 0, stdout: VERSION, stderr: '' },
    'Node\'s own options leave the snapshot usable')
})

t.test('a package moved after its snapshot was made loads its own dist/', async (t) => {
  const root = packageCopy(t)
  buildSnapshot(t, root)
  const moved = `${root}-moved`
  renameSync(root, moved)
  t.teardown(() => rmSync(moved, { recursive: true, force: true }))
  t.same(version(moved), { status: 0, stdout: VERSION, stderr: '' })
  t.not(withoutCliModule(moved, () => version(moved)).status, 0, 'the moved dist/cli.js, not the snapshot\'s')
})

t.test('two runs of a pod without a uid get different uids', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('no-uid', [shContainer('c', 'true')])
  for (let i = 0; i < 2; i++) t.equal((await env.run(manifest)).code, 0)
  const podLogDirs = readdirSync(env.logRoot).filter((d) => d.startsWith('default_no-uid_'))
  t.equal(podLogDirs.length, 2, podLogDirs.join(' '))
})
