// Options of `podshim run` that are checked as the run starts, whichever
// way they are given (option or environment): a --registry-config that is
// not a docker config.json fails at once, naming the option and the file,
// not when a registry first asks for credentials; and a usage error stays
// exit 2 when whoever reads podshim's stderr has gone away (`2>&1 | head`).
// The roots' checks are in state-roots.test.ts.

import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { CLI_PATH, RUN_TIMEOUT_MS, cliEnv, containerLines, podEnv, podManifest, shContainer, type PodEnv } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** A run that must stop at its options: a usage error, exit 2, one line naming it, and nothing of the pod made. */
function isRefused(t: Test, env: PodEnv, r: { code: number | null; stderr: string }, message: string | RegExp): void {
  t.equal(r.code, 2, 'a usage error', { stderr: r.stderr })
  t.match(r.stderr, message, 'naming the option, the file and what is wrong')
  t.equal(r.stderr.split('\n').length, 2, 'in one line')
  t.notOk(existsSync(env.cgroupDir), 'no cgroup made')
  for (const root of [env.stateRoot, env.logRoot, env.dataRoot]) t.notOk(existsSync(root), `${root} not made`)
}

const POD = podManifest('creds', [shContainer('c', 'echo ran')])

t.test('a --registry-config that is not there fails at once, though the pod needs no registry', async (t) => {
  const env = podEnv(t)
  const missing = join(env.dir, 'confg.json')
  const r = await env.run(POD, { args: ['--registry-config', missing] })
  isRefused(t, env, r, `podshim: --registry-config "${missing}": ENOENT: no such file or directory, open '${missing}'\n`)
})

t.test('a PODSHIM_REGISTRY_CONFIG that is not a docker config.json: the variable named, and what is wrong', async (t) => {
  const env = podEnv(t)
  const config = join(env.dir, 'config.json')
  writeFileSync(config, '{"auths": {"ghcr.io": {"auth": "not base64"}}}')
  const r = await env.run(POD, { env: { PODSHIM_REGISTRY_CONFIG: config } })
  isRefused(t, env, r, `podshim: --registry-config "${config}" (from PODSHIM_REGISTRY_CONFIG): auths["ghcr.io"].auth: must be base64 of "user:password"\n`)
  writeFileSync(config, '{"auths": ')
  isRefused(t, env, await env.run(POD, { args: ['--registry-config', config] }), /^podshim: --registry-config "[^"]+": not JSON: /)
})

t.test('a docker config.json with credentials is taken, the pod runs', async (t) => {
  const env = podEnv(t)
  const config = join(env.dir, 'config.json')
  writeFileSync(config, JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('me:secret').toString('base64') } }, credsStore: 'desktop' }))
  const r = await env.run(POD, { args: ['--registry-config', config] })
  t.equal(r.code, 0, { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'c'), ['ran'])
})

t.test('a usage error is exit 2 even when stderr\'s reader has gone away (2>&1 | head -1), from an option or the environment', async (t) => {
  for (const [args, env] of [[['--time-scale', '0'], {}], [[], { PODSHIM_TIME_SCALE: '0' }]] as const) {
    const child = spawn(CLI_PATH, ['run', ...args, 'pod.yaml'], { env: cliEnv(env), stdio: ['ignore', 'ignore', 'pipe'] })
    // the reader is gone before podshim writes its error and the help after it
    child.stderr.destroy()
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    const [code] = await new Promise<[number | null]>((resolve) => child.on('close', (c) => resolve([c])))
    clearTimeout(timer)
    t.equal(code, 2, `exit 2 with ${JSON.stringify(args.length > 0 ? args : env)}`)
  }
  // and as the option, with a reader: exit 2 and the variable named
  const r = spawnSync(CLI_PATH, ['run', 'pod.yaml'], { env: cliEnv({ PODSHIM_TIME_SCALE: '0' }), encoding: 'utf8', timeout: RUN_TIMEOUT_MS })
  t.equal(r.status, 2)
  t.match(r.stderr, /^error: option '--time-scale <factor>' value '0' from env 'PODSHIM_TIME_SCALE' is invalid\. must be a positive number/)
})

t.test('run by a user other than root: one line saying it needs root, before any option or file is looked at', async (t) => {
  const env = podEnv(t)
  // through env(1), which drops the NODE_OPTIONS tap adds to every child: its process-info hook writes where nobody may not
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', CLI_PATH, 'run', '--state-root', env.stateRoot, '--log-root', env.logRoot, '--data-root', env.dataRoot, 'no-such-pod.yaml'], {
    env: cliEnv(), encoding: 'utf8', timeout: RUN_TIMEOUT_MS, uid: 65534, gid: 65534, cwd: '/',
  })
  if (r.error !== undefined || /Permission denied|EACCES/.test(r.stderr) && !r.stderr.includes('needs root')) {
    t.plan(0, `skip: nobody cannot run ${CLI_PATH} from this checkout: ${r.error?.message ?? r.stderr.trim()}`)
    return
  }
  t.equal(r.status, 1, { stderr: r.stderr })
  t.equal(r.stderr, 'podshim: podshim run needs root (it makes namespaces, cgroups and mounts): run it with sudo\n')
  for (const root of [env.stateRoot, env.logRoot, env.dataRoot]) t.notOk(existsSync(root), `${root} not made`)
})
