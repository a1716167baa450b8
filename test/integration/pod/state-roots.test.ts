// The state, log and data roots as users give them, and what an earlier run
// left in them: relative roots work (pause and containers mount under them
// from cwds of their own), and a stale pod that cannot be cleaned up, or a
// pod.json podshim did not write, is a warning naming it, never a run that
// cannot start.

import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { containerLines, podEnv, podManifest, shContainer, type PodEnv } from './fixtures/helpers'

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

t.test('a read-only state root: an error naming the directory and the real errno, and nothing left', async (t) => {
  const env = podEnv(t)
  const root = mkdtempSync(join(tmpdir(), 'podshim-rostate-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', root])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' })
    } catch {
      // not mounted: a throw here would skip the harness's teardown
    }
    rmSync(root, { recursive: true, force: true })
  })
  const r = await env.run(podManifest('ro-state', [shContainer('c', 'true')]), { args: ['--state-root', root] })
  t.equal(r.code, 1, 'podshim failed', { stderr: r.stderr })
  t.match(r.stderr, new RegExp(`^podshim: create pod state directory "${root}/pods/[^"]+": EROFS: read-only file system, mkdir '${root}/pods'$`, 'm'))
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  // the harness's teardown checks that no cgroup of it is left
})
