// `npm run bench`: podshim's start-up cost against its peers, measured in
// one run on this machine, and the targets of issue 2 judged against them.
//
// Rows (wall time from spawn to exit, timed by bench/lib/timing.js; medians
// over --runs after --warmup rounds, the rows interleaved round-robin so
// drift hits all alike):
//   node -e 0                the floor of any Node CLI
//   podshim run              a one-container pod running `true` (podshim/host,
//                            -q, the bench's own roots and cgroup parent)
//   podshim run, no bundle   the same pod with Node loading dist/ file by file,
//                            as bin/podshim does without its start-up bundle
//                            (diagnostic: what the bundle saves)
//   podshim --version        Node, the bundle + the CLI (diagnostic)
//   crun run / runc run      `true` in an OCI bundle equivalent to podshim/host
// Node rows run with and without NODE_EXTRA_CA_CERTS (it makes every Node
// start read the CA file); the "without" rows remove it from the child's env.
//
// Targets (verdicts only; the exit code is 0 unless something could not be
// measured, 2 on bad usage):
//   a. podshim run − node -e 0  ≤  crun run
//   b. pause resident memory < 1 MiB (VmRSS of a running pod's pause; its
//      cgroup leaf's memory.current where cgroup2 has the memory controller)
//   c. start of each further container in a running pod < 5 ms, measured in
//      process by bench/lib/container-starts.js (see its header)
'use strict'
const { spawn } = require('node:child_process')
const { mkdtempSync, mkdirSync, readFileSync } = require('node:fs')
const { cpus, release, totalmem } = require('node:os')
const { join } = require('node:path')
const { randomBytes } = require('node:crypto')
const { Cleanup } = require('./lib/cleanup')
const { timeOk, summarize } = require('./lib/timing')
const { ensureRuntime, makeRootfs, makeBundle, startCrunServer, relativeCgroupDirs } = require('./lib/peers')
const { REPO, PODSHIM_BIN, missingBuild, writeManifest, runArgv, withoutBundle, cgroup2Root, measurePause } = require('./lib/podshim')
const { printReport } = require('./lib/report')

const USAGE = `usage: npm run bench -- [--runs N] [--warmup N] [--containers N] [--pods N] [--no-install]
  --runs N         timed runs per row (default 15); the median is reported
  --warmup N       untimed rounds first (default 2)
  --containers N   containers per pod for the further-container start (default 20)
  --pods N         such pods (default 3)
  --no-install     do not apt-get install missing crun/runc; report how instead`

function parseArgs(argv) {
  const opts = { runs: 15, warmup: 2, containers: 20, pods: 3, canInstall: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const num = (min) => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < min) throw new UsageError(`${a}: must be an integer ≥ ${min} (got "${argv[i]}")`)
      return v
    }
    if (a === '--runs') opts.runs = num(1)
    else if (a === '--warmup') opts.warmup = num(0)
    else if (a === '--containers') opts.containers = num(2)
    else if (a === '--pods') opts.pods = num(1)
    else if (a === '--no-install') opts.canInstall = false
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0) }
    else throw new UsageError(`unknown option "${a}"`)
  }
  return opts
}

class UsageError extends Error {}

const log = (line) => process.stderr.write(line + '\n')
const envWithout = () => { const env = { ...process.env }; delete env.NODE_EXTRA_CA_CERTS; return env }

function environment() {
  const cpu = cpus()
  return {
    kernel: release(),
    node: process.version,
    cpus: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    cgroup2: cgroup2Root() ?? 'none',
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS === undefined ? 'not set' : `set (${process.env.NODE_EXTRA_CA_CERTS})`,
    podshim: `${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version} (${REPO})`,
  }
}

/** Each row: label, group (for ratios), and run() → ms. */
function rows({ tmp, roots, crun, runc, cleanup, hasCa }) {
  const trueManifest = writeManifest(join(tmp, 'true-pod.json'), { name: 'bench-true', containers: [['true']] })
  const track = { onSpawn: (pid) => cleanup.addPid(pid), onExit: (pid) => cleanup.dropPid(pid) }
  const node = [process.execPath, '-e', '0']
  const run = runArgv(trueManifest, roots)
  const list = []
  const add = (key, label, fn) => list.push({ key, label, fn, values: [] })
  if (hasCa) add('node+ca', 'node -e 0 (NODE_EXTRA_CA_CERTS set)', () => timeOk('node', node, track))
  add('node', 'node -e 0', () => timeOk('node', node, { ...track, env: envWithout() }))
  if (hasCa) add('podshim+ca', 'podshim run (NODE_EXTRA_CA_CERTS set)', () => timeOk('podshim run', run, track))
  add('podshim', 'podshim run', () => timeOk('podshim run', run, { ...track, env: envWithout() }))
  add('plain', 'podshim run, no bundle (dist/bin.js)', () => timeOk('podshim run (no bundle)', withoutBundle(run), { ...track, env: envWithout() }))
  add('version', 'podshim --version (CLI load only)', () => timeOk('podshim --version', [PODSHIM_BIN, '--version'], { ...track, env: envWithout() }))
  if (crun.server) add('crun', 'crun run (private mount ns)', () => crun.server.run())
  if (runc.path) {
    let i = 0
    const argv = () => [runc.path, '--root', join(tmp, 'runc-state'), 'run', '--bundle', runc.bundle, `${runc.idPrefix}-${i++}`]
    add('runc', 'runc run', () => timeOk('runc run', argv(), track))
  }
  return list
}

async function measureStarts(opts, roots, cleanup) {
  const args = JSON.stringify({ repo: REPO, stateRoot: roots.state, logRoot: roots.log, dataRoot: roots.data, cgroupParent: roots.cgroupParent, containers: opts.containers, pods: opts.pods })
  const child = spawn(process.execPath, [join(__dirname, 'lib', 'container-starts.js'), args], { stdio: ['ignore', 'pipe', 'pipe'], env: envWithout() })
  cleanup.addPid(child.pid)
  let out = ''
  let err = ''
  child.stdout.on('data', (c) => { out += c })
  child.stderr.on('data', (c) => { err += c })
  const code = await new Promise((resolve) => child.on('close', resolve))
  cleanup.dropPid(child.pid)
  if (code !== 0) throw new Error(`container-starts exited ${code}: ${err.trim()}`)
  const { pods } = JSON.parse(out)
  return {
    first: pods.map((p) => p.starts[0]),
    further: pods.flatMap((p) => p.starts.slice(1)),
    furtherSpawn: pods.flatMap((p) => p.spawns.slice(1)),
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  if (process.getuid?.() !== 0) throw new Error('the bench runs pods: run it as root (podshim needs root)')
  const missing = missingBuild()
  if (missing.length > 0) throw new Error(`podshim is not built (missing ${missing.join(', ')}): run \`npm run build\``)

  const cleanup = new Cleanup()
  cleanup.install()
  const tmp = mkdtempSync('/tmp/podshim-bench-')
  cleanup.addTempRoot(tmp)
  const tag = randomBytes(4).toString('hex')
  const roots = { state: join(tmp, 'state'), log: join(tmp, 'log'), data: join(tmp, 'data'), cgroupParent: `podshim-bench-${tag}` }
  const cg2 = cgroup2Root()
  if (cg2 !== null) cleanup.addCgroup(join(cg2, roots.cgroupParent))
  const env = environment()
  const skipped = []

  const rootfs = join(tmp, 'rootfs')
  makeRootfs(rootfs)
  const crun = ensureRuntime('crun', opts.canInstall, log)
  if (crun.path) {
    makeBundle(crun.path, join(tmp, 'crun-bundle'), rootfs)
    mkdirSync(join(tmp, 'crun-state'))
    crun.server = await startCrunServer({ crunPath: crun.path, bundle: join(tmp, 'crun-bundle'), stateDir: join(tmp, 'crun-state'), idPrefix: `podshim-bench-${tag}`, cleanup })
  } else skipped.push(`crun: ${crun.missing}`)
  const runc = ensureRuntime('runc', opts.canInstall, log)
  if (runc.path) {
    const cgroupName = `podshim-bench-${tag}-runc`
    for (const dir of relativeCgroupDirs(cgroupName)) cleanup.addCgroup(dir)
    runc.bundle = makeBundle(runc.path, join(tmp, 'runc-bundle'), rootfs, cgroupName)
    runc.idPrefix = `podshim-bench-${tag}`
    mkdirSync(join(tmp, 'runc-state'))
  } else skipped.push(`runc: ${runc.missing}`)

  const list = rows({ tmp, roots, crun, runc, cleanup, hasCa: process.env.NODE_EXTRA_CA_CERTS !== undefined })
  log(`bench: ${opts.warmup} warm-up + ${opts.runs} timed rounds of ${list.length} rows`)
  for (let round = 0; round < opts.warmup + opts.runs; round++) {
    for (const row of list) {
      const ms = await row.fn()
      if (round >= opts.warmup) row.values.push(ms)
    }
  }
  if (crun.server) await crun.server.close()

  log('bench: pause memory')
  const pause = await measurePause({ dir: tmp, roots, cleanup })
  await require('./images').benchImages({ tmp, roots, crunPath: crun.path ?? null, cleanup, opts, log, env: envWithout(), skipped })
  log(`bench: container starts (${opts.pods} pods × ${opts.containers} containers)`)
  const starts = await measureStarts(opts, roots, cleanup)

  const stats = Object.fromEntries(list.map((r) => [r.key, { label: r.label, ...summarize(r.values) }]))
  const isComplete = printReport({ opts, env, stats, order: list.map((r) => r.key), pause, starts, skipped })
  return isComplete ? 0 : 1
}

// process.exit, not exitCode: a failed row can leave the crun server's pipes
// open; the 'exit' handler of Cleanup ends it and removes everything else
main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench: ${err instanceof UsageError ? `${err.message}\n${USAGE}` : err.message}\n`)
  process.exit(err instanceof UsageError ? 2 : 1)
})
