// `image pull --registry-config FILE` checks the file before it pulls: a
// typo fails at once, naming the option and the file, not only once a
// registry asks for credentials (and not after retries of an unreachable
// registry).
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

function pull(dataRoot: string, config: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  // port 1 on loopback: nothing listens, so only the check can end this quickly with its message
  const args = ['image', 'pull', '127.0.0.1:1/lib/app:1', '--data-root', dataRoot, ...(config === '' ? [] : ['--registry-config', config])]
  return spawnSync(CLI_PATH, args, { encoding: 'utf8', env: cliEnv(env) })
}

t.test('a registry config that is missing or not a docker config.json fails the pull at once, naming the option and the file', async (t) => {
  const dir = tempDir(t, 'podshim-regconfig-')
  const dataRoot = join(dir, 'data')
  const missing = join(dir, 'confg.json')
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, '{"auths": {"127.0.0.1:1": {"auth": 42}}}')
  for (const [args, message] of [
    [[missing], `--registry-config "${missing}": ENOENT: no such file or directory, open '${missing}'`],
    [[bad], `--registry-config "${bad}": auths["127.0.0.1:1"].auth: must be a string`],
    [['', { PODSHIM_REGISTRY_CONFIG: missing }], `--registry-config "${missing}" (from PODSHIM_REGISTRY_CONFIG): ENOENT: no such file or directory, open '${missing}'`],
  ] as [[string, NodeJS.ProcessEnv?], string][]) {
    const r = pull(dataRoot, ...args)
    t.same({ status: r.status, stderr: r.stderr }, { status: 2, stderr: `podshim: ${message}\n` }, message)
  }
  t.notOk(existsSync(dataRoot), 'nothing made before the check')
})

t.test('a registry config that is not JSON is named on one line', async (t) => {
  const dir = tempDir(t, 'podshim-regconfig-')
  const broken = join(dir, 'broken.json')
  writeFileSync(broken, '{"auths":\n  {"x": nope}\n}\n')
  const r = pull(join(dir, 'data'), broken)
  t.equal(r.status, 2)
  t.match(r.stderr, new RegExp(`^podshim: --registry-config "${broken}": not JSON: [^\\n]+\\n$`), 'one line')
})
