import t from 'tap'
import { join } from 'node:path'
import { CommanderError, type Command } from 'commander'

import { buildProgram, runOptionsOf } from '../../src/cli'

interface Parsed {
  files?: string[]
  options?: Record<string, unknown>
  /** the run command, as its action gets it */
  command?: Command
  error?: string
}

/** Parse `podshim run ARGS` as the CLI does, with the run's action replaced by a capture. */
async function parseRun(args: string[], env: Record<string, string> = {}): Promise<Parsed> {
  const argv = ['node', 'podshim', 'run', ...args]
  const program = buildProgram(argv)
  const run = program.commands.find((c) => c.name() === 'run') as Command
  const parsed: Parsed = {}
  let stderr = ''
  run.configureOutput({ writeErr: (s) => { stderr += s }, writeOut: () => undefined })
  run.action((files: string[], options: Record<string, unknown>, command: Command) => {
    parsed.files = files
    parsed.options = options
    parsed.command = command
  })
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    await program.parseAsync(argv)
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    parsed.error = stderr.split('\n')[0]
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key]
    Object.assign(process.env, saved)
  }
  return parsed
}

t.test('--insecure-registry takes one host each time: the FILE after it stays the FILE', async (t) => {
  const one = await parseRun(['--insecure-registry', 'localhost:5000', 'pod.yaml'])
  t.equal(one.error, undefined)
  t.same(one.files, ['pod.yaml'])
  t.same(one.options?.insecureRegistry, ['localhost:5000'])
  const more = await parseRun(['--insecure-registry', 'a:1,b:2', '--insecure-registry', 'c:3', 'cm.yaml', 'pod.yaml'])
  t.same(more.options?.insecureRegistry, ['a:1', 'b:2', 'c:3'], 'repeated and comma-separated')
  t.same(more.files, ['cm.yaml', 'pod.yaml'], 'every FILE after it')
  const fromEnv = await parseRun(['pod.yaml'], { PODSHIM_INSECURE_REGISTRIES: 'x:1,y:2' })
  t.same(fromEnv.options?.insecureRegistry, ['x:1', 'y:2'], 'the environment takes a comma-separated list')
})

t.test('--pids-limit is -1 or a positive integer the kernel can take', async (t) => {
  t.equal((await parseRun(['--pids-limit', '-1', 'p.yaml'])).options?.pidsLimit, -1)
  t.equal((await parseRun(['--pids-limit', '512', 'p.yaml'])).options?.pidsLimit, 512)
  t.equal((await parseRun(['p.yaml'])).options?.pidsLimit, -1, 'unlimited by default')
  for (const bad of ['0', '-5', '1.5', 'ten', '99999999999999999999999']) {
    const r = await parseRun(['--pids-limit', bad, 'p.yaml'])
    t.match(r.error, `must be -1 (unlimited) or a positive integer (got "${bad}")`, `"${bad}" is refused`)
    t.equal(r.files, undefined, 'and nothing runs')
  }
})

t.test('the roots are made absolute: pause mounts under them from another cwd, a later run cleans up from its own', async (t) => {
  const r = await parseRun(['--state-root', 'state', '--log-root', './logs/', 'p.yaml'], { PODSHIM_DATA_ROOT: 'data' })
  t.equal(r.options?.stateRoot, join(process.cwd(), 'state'))
  t.equal(r.options?.logRoot, join(process.cwd(), 'logs'))
  t.equal(r.options?.dataRoot, join(process.cwd(), 'data'), 'from the environment too')
  t.equal((await parseRun(['p.yaml'])).options?.stateRoot, '/run/podshim', 'the defaults as they are')
  t.match((await parseRun(['--state-root', '', 'p.yaml'])).error, 'must be a directory (got "")')
})

t.test('--cgroup-parent is plain directory names joined by "/": anything else is a usage error naming it', async (t) => {
  t.equal((await parseRun(['--cgroup-parent', 'podshim/team', 'p.yaml'])).options?.cgroupParent, 'podshim/team')
  t.equal((await parseRun(['p.yaml'])).options?.cgroupParent, 'podshim', 'podshim by default')
  for (const bad of ['/abs', 'a//b', '', '..', 'a/../b', 'cgroup.procs']) {
    const r = await parseRun(['--cgroup-parent', bad, 'p.yaml'])
    t.match(r.error, `option '--cgroup-parent <name>' argument '${bad}' is invalid. must be plain directory names joined by "/"`, `"${bad}" is refused`)
    t.equal(r.files, undefined, 'and nothing runs')
  }
  t.match((await parseRun(['p.yaml'], { PODSHIM_CGROUP_PARENT: 'x//y' })).error, /must be plain directory names/, 'the environment too')
})

t.test('each option the environment can give is checked there as on the command line: a usage error naming the variable', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['PODSHIM_TIME_SCALE', '0', 'must be a positive number (got "0")'],
    ['PODSHIM_CGROUP_PARENT', 'x//y', 'must be plain directory names joined by "/"'],
    ['PODSHIM_STATE_ROOT', '', 'must be a directory (got "")'],
    ['PODSHIM_LOG_ROOT', '', 'must be a directory (got "")'],
    ['PODSHIM_DATA_ROOT', '', 'must be a directory (got "")'],
  ]
  for (const [name, value, problem] of cases) {
    const r = await parseRun(['p.yaml'], { [name]: value })
    t.match(r.error, `value '${value}' from env '${name}' is invalid. ${problem}`, name)
    t.equal(r.files, undefined, 'and nothing runs')
  }
})

t.test('the variable each option came from goes to the checks run makes later (roots, --registry-config), named in their errors', async (t) => {
  const r = await parseRun(['--state-root', '/s', 'p.yaml'], { PODSHIM_DATA_ROOT: '/d', PODSHIM_REGISTRY_CONFIG: '/c.json', PODSHIM_STATE_ROOT: '/not-this' })
  const opts = runOptionsOf(r.options!, r.command!)
  t.same(opts.fromEnv, { dataRoot: 'PODSHIM_DATA_ROOT', registryConfig: 'PODSHIM_REGISTRY_CONFIG' }, 'not the option given on the command line, nor defaults')
  t.equal(opts.registryConfig, '/c.json')
  t.equal(opts.stateRoot, '/s')
})
