// The state, log and data roots as users give them, and what an earlier run
// left in them: relative roots work (pause and containers mount under them
// from cwds of their own), and a stale pod that cannot be cleaned up, or a
// pod.json podshim did not write, is a warning naming it, never a run that
// cannot start. A root that cannot serve (a regular file, a read-only file
// system) is a usage error naming the option before anything is made.

import t, { type Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { CLI_PATH, RUN_TIMEOUT_MS, cliEnv, containerLines, podEnv, podManifest, shContainer, type PodEnv } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** A pid no process has now: one that has exited. */
function deadPid(): number {
  return spawnSync('true').pid!
}

/** A pod.json as a SIGKILLed supervisor leaves it; returns its state and data dirs. */
function stalePod(env: PodEnv, uid: string, record: Record<string, unknown> = {}): { stateDir: string; dataDir: string } {
  const stateDir = join(env.stateRoot, 'pods', uid)
  const dataDir = join(env.dataRoot, 'pods', uid)
  mkdirSync(stateDir, { recursive: true })
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(stateDir, 'pod.json'), JSON.stringify({
    uid, name: 'stuck', namespace: 'default', supervisorPid: deadPid(), supervisorStartTime: '1',
    cgroupRoot: dirname(env.cgroupDir), cgroupParent: env.cgroupParent, stateDir, dataDir, ...record,
  }))
  return { stateDir, dataDir }
}

t.test('relative roots are taken from the cwd of podshim run', async (t) => {
  const env = podEnv(t)
  // started in the test's dir, so that the roots are below the cwd (a path up from "/" would resolve by chance)
  const cwd = process.cwd()
  process.chdir(env.dir)
  let pod
  try {
    pod = env.start(podManifest('relative', [shContainer('c', 'echo ran')]), { args: ['--state-root', 'state', '--log-root', 'log', '--data-root', 'data'] })
  } finally {
    process.chdir(cwd)
  }
  const r = await pod.result
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'c'), ['ran'])
  t.ok(existsSync(join(env.logRoot, readdirSync(env.logRoot)[0], 'c', '0.log')), 'its log is under the log root')
})

t.test('a stale pod that cannot be removed is a warning naming it: the run goes on', async (t) => {
  const env = podEnv(t)
  const uid = '0a1b2c3d-0000-4000-8000-00000000beef'
  const { dataDir } = stalePod(env, uid)
  const stuck = join(dataDir, 'stuck')
  writeFileSync(stuck, '')
  execFileSync('chattr', ['+i', stuck])
  let r
  try {
    r = await env.run(podManifest('next', [shContainer('c', 'echo ran')]))
  } finally {
    execFileSync('chattr', ['-i', stuck])
  }
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'c'), ['ran'])
  t.match(r.stderr, `podshim: warning: clean up pod "stuck" (${uid}) left behind by supervisor pid `)
  t.match(r.stderr, `EPERM: operation not permitted, unlink '${stuck}'`, 'naming the file and the error')
  const again = await env.run(podManifest('again', [shContainer('c', 'true')]), { args: ['-q'] })
  t.equal(again.code, 0, { stderr: again.stderr })
  t.notOk(existsSync(dataDir), 'a later run removes it once it can')
})

t.test('a pod.json podshim did not write for its directory is left alone, with a warning', async (t) => {
  const env = podEnv(t)
  const uid = '0a1b2c3d-0000-4000-8000-00000000f00d'
  // a record of another directory, and one missing fields: neither names what may be removed
  const other = stalePod(env, uid, { stateDir: join(env.dir, 'elsewhere'), dataDir: env.dir })
  const missing = stalePod(env, `${uid}0`, { dataDir: undefined, cgroupRoot: undefined })
  t.teardown(() => {
    for (const dir of [other.stateDir, other.dataDir, missing.stateDir, missing.dataDir]) rmSync(dir, { recursive: true, force: true })
  })
  const r = await env.run(podManifest('next', [shContainer('c', 'echo ran')]))
  t.equal(r.code, 0, 'the run succeeds', { stderr: r.stderr })
  t.match(r.stderr, `podshim: warning: left ${other.stateDir} as it is: ${join(other.stateDir, 'pod.json')} is not a pod record podshim wrote there`)
  t.match(r.stderr, `podshim: warning: left ${missing.stateDir} as it is`)
  t.ok(existsSync(other.dataDir) && existsSync(env.dir), 'nothing it names was removed')
})

const ROOTS = [['--state-root', 'PODSHIM_STATE_ROOT'], ['--log-root', 'PODSHIM_LOG_ROOT'], ['--data-root', 'PODSHIM_DATA_ROOT']] as const

/** A read-only tmpfs of the test's own, unmounted and removed at teardown. */
function readOnlyDir(t: Test): string {
  const root = mkdtempSync(join(tmpdir(), 'podshim-roroot-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', root])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' })
    } catch {
      // not mounted: a throw here would skip the harness's teardown
    }
    rmSync(root, { recursive: true, force: true })
  })
  return root
}

/** A run that must stop at its options: a usage error, exit 2, one line naming it, and nothing of the pod made. */
function isRefused(t: Test, env: PodEnv, r: { code: number | null; stderr: string }, message: string): void {
  t.equal(r.code, 2, 'a usage error', { stderr: r.stderr })
  t.equal(r.stderr, `podshim: ${message}\n`, 'one line, naming the option, the path and what is wrong')
  t.notOk(existsSync(env.cgroupDir), 'no cgroup made')
  for (const root of [env.stateRoot, env.logRoot, env.dataRoot]) t.notOk(existsSync(root), `${root} not made`)
}

t.test('a root on a read-only file system: a usage error naming the option, the directory and the errno; nothing made', async (t) => {
  for (const [flag] of ROOTS) {
    const env = podEnv(t)
    const root = readOnlyDir(t)
    const r = await env.run(podManifest('ro-root', [shContainer('c', 'true')]), { args: [flag, root] })
    isRefused(t, env, r, `${flag} "${root}": read-only file system (EROFS)`)
    const below = await env.run(podManifest('ro-root', [shContainer('c', 'true')]), { args: [flag, join(root, 'podshim')] })
    isRefused(t, env, below, `${flag} "${root}/podshim": cannot be made in "${root}": read-only file system (EROFS)`)
  }
})

t.test('a root that is a regular file, or below one: a usage error naming the option and the file; the file kept', async (t) => {
  for (const [flag] of ROOTS) {
    const env = podEnv(t)
    const file = join(env.dir, 'a-file')
    writeFileSync(file, 'kept')
    const r = await env.run(podManifest('file-root', [shContainer('c', 'true')]), { args: [flag, file] })
    isRefused(t, env, r, `${flag} "${file}": not a directory`)
    const below = await env.run(podManifest('file-root', [shContainer('c', 'true')]), { args: [flag, join(file, 'pods')] })
    isRefused(t, env, below, `${flag} "${file}/pods": cannot be made: "${file}" is not a directory`)
    t.equal(readFileSync(file, 'utf8'), 'kept')
  }
})

t.test('a root from the environment is checked as the option is, and its variable named', async (t) => {
  for (const [flag, name] of ROOTS) {
    const env = podEnv(t)
    const file = join(env.dir, 'a-file')
    writeFileSync(file, '')
    // the roots but this one on the command line, which would win over the environment
    const args = env.rootArgs().filter((_, i, all) => all[i] !== flag && all[i - 1] !== flag)
    const r = spawnSync(CLI_PATH, ['run', ...args, env.writeManifest(podManifest('env-root', [shContainer('c', 'true')]))], {
      env: cliEnv({ [name]: file }), encoding: 'utf8', timeout: RUN_TIMEOUT_MS,
    })
    isRefused(t, env, { code: r.status, stderr: r.stderr }, `${flag} "${file}" (from ${name}): not a directory`)
  }
})
