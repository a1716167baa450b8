// The podshim command line (commander). The only place that exits the
// process: errors are printed as one chain of context with a hint where one
// helps, never a stack trace. Exit codes (STYLE.md): 0 ok, 1 podshim error,
// 2 usage (commander's errors, and an OptionError: a value only the file
// system can refuse), 125 the runtime failed before exec, 126/127 exec
// failed, else the container's own code or 128+signal.
import { resolve } from 'node:path'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import type { RunOptions } from './commands/run'
import { describeError } from './supervisor/describe-error'
import { checkAllowedUnsafeSysctls } from './spec/sysctls'
import { ManifestError } from './spec/manifest-error'
import { OptionError } from './commands/option-error'
import { hintFor } from './hints'

export const DEFAULT_STATE_ROOT = '/run/podshim'
export const DEFAULT_LOG_ROOT = '/var/log/podshim'
export const DEFAULT_DATA_ROOT = '/var/lib/podshim'

function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number (got "${value}")`)
  return n
}

/** kubelet's podPidsLimit: -1 for none, else the pod's pids.max (a number the kernel takes). */
function pidsLimit(value: string): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN
  if (n !== -1 && !(Number.isSafeInteger(n) && n > 0)) throw new InvalidArgumentError(`must be -1 (unlimited) or a positive integer (got "${value}")`)
  return n
}

/** A root as an absolute path: pause and containers mount under it from cwds of their own, and a later run cleans up from its own. */
function absolute(dir: string): string {
  if (dir === '') throw new InvalidArgumentError('must be a directory (got "")')
  return resolve(dir)
}

/** Each use of the option adds its comma-separated hosts to the ones before. */
function hostList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)]
}

/** A cgroup parent: plain directory names, joined by "/". */
function cgroupParent(value: string): string {
  try {
    (require('./cgroup/cgroup-levels') as typeof import('./cgroup/cgroup-levels')).checkParent(value)
  } catch {
    throw new InvalidArgumentError(`must be plain directory names joined by "/", like podshim or podshim/team (got ${JSON.stringify(value)})`)
  }
  return value
}

/** kubelet's --allowed-unsafe-sysctls: each use adds its names; each must be a namespaced sysctl. */
function sysctlList(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean)
  try {
    checkAllowedUnsafeSysctls(names)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
  return [...previous, ...names]
}

/** The options of `run` as runCommand takes them, with the variable each came from where the environment gave it. */
export function runOptionsOf(options: Record<string, unknown>, run: Command): RunOptions {
  return {
    stateRoot: options.stateRoot as string, logRoot: options.logRoot as string, dataRoot: options.dataRoot as string,
    cgroupParent: options.cgroupParent as string, strictCgroups: options.strictCgroups === true,
    pidsLimit: options.pidsLimit as number, timeScale: Number(options.timeScale), output: options.output as 'text' | 'json',
    quiet: options.quiet === true,
    insecureRegistries: (options.insecureRegistry as string[] | undefined) ?? [],
    registryConfig: (options.registryConfig as string | undefined) ?? null,
    allowedUnsafeSysctls: (options.allowedUnsafeSysctls as string[] | undefined) ?? [],
    fromEnv: Object.fromEntries(run.options.filter((o) => o.envVar !== undefined && run.getOptionValueSource(o.attributeName()) === 'env')
      .map((o) => [o.attributeName(), o.envVar])),
  }
}

export function buildProgram(argv: string[] = process.argv): Command {
  const program = new Command('podshim')
    .description('run a Kubernetes Pod manifest on this machine the way kubelet, a container runtime and pause do')
    .version(require('../package.json').version as string)
    .exitOverride()
    .showHelpAfterError()
  program.command('run')
    .description('run the pod in the manifest FILEs ("-" for stdin; a directory for its .json, .yaml and .yml files) until it completes or is stopped')
    .argument('<file...>', 'a v1 Pod manifest (YAML or JSON), and the ConfigMaps and Secrets it uses: in it, or in more files or a directory of them')
    .addOption(new Option('--state-root <dir>', 'runtime state: each running pod\'s record, pause\'s pid, its /etc files and /dev/shm').env('PODSHIM_STATE_ROOT').argParser(absolute).default(DEFAULT_STATE_ROOT))
    .addOption(new Option('--log-root <dir>', 'container logs, in kubelet\'s CRI format').env('PODSHIM_LOG_ROOT').argParser(absolute).default(DEFAULT_LOG_ROOT))
    .addOption(new Option('--data-root <dir>', 'images and emptyDir volumes').env('PODSHIM_DATA_ROOT').argParser(absolute).default(DEFAULT_DATA_ROOT))
    .addOption(new Option('--cgroup-parent <name>', 'cgroup under the cgroup2 mount that holds pod cgroups (may be nested, a/b: the levels podshim makes it removes when empty)').env('PODSHIM_CGROUP_PARENT').argParser(cgroupParent).default('podshim'))
    .addOption(new Option('--strict-cgroups', 'fail instead of warning when a resource limit cannot be enforced'))
    .addOption(new Option('--pids-limit <n>', 'pids.max of the pod cgroup (kubelet podPidsLimit; -1 = unlimited)').argParser(pidsLimit).default(-1))
    .addOption(new Option('--time-scale <factor>', 'run every lifecycle timer (backoff, grace periods, probes) this many times faster').env('PODSHIM_TIME_SCALE').argParser(positiveNumber).default(1))
    .addOption(new Option('-o, --output <format>', 'final status format').choices(['text', 'json']).default('text'))
    .addOption(new Option('-q, --quiet', 'print no container output, events or summary'))
    // not variadic (<host:port...>): that would take the FILE after it for one more host
    .addOption(new Option('--insecure-registry <host:port>', 'a registry to pull from over plain HTTP (loopback always may); repeatable, or comma-separated').env('PODSHIM_INSECURE_REGISTRIES').argParser(hostList))
    .addOption(new Option('--registry-config <file>', 'a docker config.json with registry credentials').env('PODSHIM_REGISTRY_CONFIG'))
    .addOption(new Option('--allowed-unsafe-sysctls <names>', 'namespaced sysctls a pod may set beyond kubelet\'s safe set (kubelet\'s flag: names or prefixes ending in *); repeatable, or comma-separated').argParser(sysctlList))
    .action(async (files: string[], options: Record<string, unknown>, run: Command) => {
      const opts = runOptionsOf(options, run)
      // each subcommand's code is loaded only when it runs: start-up time is part of every pod's
      const { runCommand } = require('./commands/run') as typeof import('./commands/run')
      process.exitCode = await runCommand(files, opts)
    })
  if (argv[2] === 'image') (require('./commands/image') as typeof import('./commands/image')).registerImageCommands(program)
  else {
    program.command('image').description('manage the image store (pull, load, ls, rm, inspect, prune); podshim image --help')
      .allowUnknownOption().argument('[args...]')
  }
  return program
}

/**
 * Runs the command line, then exits as soon as stdout and stderr have been
 * written out: a command returns when its work is done (logs use
 * writeSync), and an exit that waits for the loop to drain also tears down
 * V8's heap, ~2 ms of every run (bench/). The streams need the wait: a pipe
 * takes 64 KiB, and what a full one has not taken yet is still queued.
 */
export async function main(argv: string[]): Promise<void> {
  // a reader that went away (`2>&1 | head -1`) must not turn the exit code into 1 with an uncaught EPIPE
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
  await runProgram(argv)
  await Promise.all([flushed(process.stdout), flushed(process.stderr)])
  process.exit()
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve()
  // an empty write's callback runs once everything queued before it is written (or has failed)
  return new Promise((resolve) => stream.write('', () => resolve()))
}

async function runProgram(argv: string[]): Promise<void> {
  try {
    await buildProgram(argv).parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2
      return
    }
    if (err instanceof OptionError) {
      process.stderr.write(`podshim: ${describeError(err)}\n`)
      process.exitCode = 2
      return
    }
    if (err instanceof ManifestError) {
      process.stderr.write(`podshim: ${err.message}\n`)
    } else {
      process.stderr.write(`podshim: ${describeError(err)}\n`)
      const hint = hintFor(err)
      if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`)
      if (process.env.PODSHIM_DEBUG !== undefined && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    }
    process.exitCode = 1
  }
}
