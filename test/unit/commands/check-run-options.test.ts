import t, { type Test } from 'tap'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { checkRunOptions, rootProblem } from '../../../src/commands/check-run-options'
import { OptionError } from '../../../src/commands/option-error'
import type { RunOptions } from '../../../src/commands/run'
import { describeError } from '../../../src/supervisor/describe-error'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-options-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function options(dir: string, more: Partial<RunOptions> = {}): RunOptions {
  return {
    stateRoot: join(dir, 'state'), logRoot: join(dir, 'log'), dataRoot: join(dir, 'data'), cgroupParent: 'podshim',
    strictCgroups: false, pidsLimit: -1, timeScale: 1, output: 'text', quiet: false, insecureRegistries: [],
    registryConfig: null, allowedUnsafeSysctls: [], ...more,
  }
}

/** The message checkRunOptions throws (as the CLI prints it), or null when the options pass. */
function problemOf(opts: RunOptions): string | null {
  try {
    checkRunOptions(opts)
    return null
  } catch (err) {
    if (!(err instanceof OptionError)) throw err
    return describeError(err)
  }
}

t.test('a root that is there, or can be made, passes: nothing is made by the check', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'state'))
  symlinkSync(join(dir, 'state'), join(dir, 'linked'))
  t.equal(problemOf(options(dir, { logRoot: join(dir, 'linked'), dataRoot: join(dir, 'not', 'yet', 'made') })), null)
  t.same(readdirSync(dir).sort(), ['linked', 'state'], 'nothing made')
})

t.test('a root that is a regular file, or below one, names the option, the path and what is wrong', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'file')
  writeFileSync(file, 'kept')
  for (const [key, flag] of [['stateRoot', '--state-root'], ['logRoot', '--log-root'], ['dataRoot', '--data-root']] as const) {
    t.equal(problemOf(options(dir, { [key]: file })), `${flag} "${file}": not a directory`, flag)
    t.equal(problemOf(options(dir, { [key]: join(file, 'x', 'y') })), `${flag} "${file}/x/y": cannot be made: "${file}" is not a directory`, `${flag} below a file`)
  }
  t.same(readdirSync(dir), ['file'], 'nothing made')
})

t.test('a symbolic link to nothing is not a root', async (t) => {
  const dir = tempDir(t)
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'))
  t.equal(rootProblem(join(dir, 'dangling')), 'a symbolic link to nothing')
  t.equal(rootProblem(join(dir, 'dangling', 'x')), `cannot be made: "${join(dir, 'dangling')}" is a symbolic link to nothing`)
})

t.test('a root podshim may not write in names the errno (as root, a read-only mount: test/integration)', { skip: process.getuid?.() === 0 ? 'root may write in a directory of mode 0555' : false }, async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'locked'), 0o555)
  t.teardown(() => chmodSync(join(dir, 'locked'), 0o755))
  t.equal(rootProblem(join(dir, 'locked')), 'permission denied (EACCES)')
  t.equal(rootProblem(join(dir, 'locked', 'sub')), `cannot be made in "${join(dir, 'locked')}": permission denied (EACCES)`)
})

t.test('a value from the environment names its variable', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'file'), '')
  t.equal(problemOf(options(dir, { dataRoot: join(dir, 'file'), fromEnv: { dataRoot: 'PODSHIM_DATA_ROOT' } })),
    `--data-root "${join(dir, 'file')}" (from PODSHIM_DATA_ROOT): not a directory`)
})

t.test('--registry-config must be a docker config.json: named with what is wrong, before any registry asks', async (t) => {
  const dir = tempDir(t)
  const config = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }
  const problem = (file: string): string | null => problemOf(options(dir, { registryConfig: file }))
  const missing = join(dir, 'missing.json')
  t.equal(problem(missing), `--registry-config "${missing}": ENOENT: no such file or directory, open '${missing}'`)
  t.equal(problem(dir), `--registry-config "${dir}": EISDIR: illegal operation on a directory, read`)
  t.match(problem(config('broken.json', '{"auths": {')), /^--registry-config "[^"]+broken\.json": not JSON: /)
  t.match(problem(config('list.json', '[]')), /list\.json": not a docker config\.json: must be a JSON object$/)
  t.match(problem(config('auths.json', '{"auths": []}')), /auths\.json": auths: must be an object of registries$/)
  t.match(problem(config('entry.json', '{"auths": {"r.io": null}}')), /entry\.json": auths\["r\.io"\]: must be an object$/)
  t.match(problem(config('user.json', '{"auths": {"r.io": {"username": 7}}}')), /user\.json": auths\["r\.io"\]\.username: must be a string$/)
  for (const auth of ['not base64!', Buffer.from('nocolon').toString('base64')]) {
    t.match(problem(config('auth.json', JSON.stringify({ auths: { 'r.io': { auth } } }))), /auth\.json": auths\["r\.io"\]\.auth: must be base64 of "user:password"$/, auth)
  }
  t.match(problemOf(options(dir, { registryConfig: missing, fromEnv: { registryConfig: 'PODSHIM_REGISTRY_CONFIG' } })),
    `--registry-config "${missing}" (from PODSHIM_REGISTRY_CONFIG): ENOENT`)
  const good = config('good.json', JSON.stringify({
    auths: { 'r.io': { auth: Buffer.from('u:p').toString('base64') }, 'https://index.docker.io/v1/': { username: 'u', password: 'p' }, 'x.io': { auth: '' } },
    credsStore: 'desktop', HttpHeaders: { 'User-Agent': 'x' },
  }))
  t.equal(problem(good), null, 'docker\'s other keys are not podshim\'s to judge')
  t.equal(problem(config('empty.json', '{}')), null, 'no auths: no credentials')
  t.ok(existsSync(good))
})
