// The start of each further container in a running pod, measured in
// process: this script drives podshim's own PodSupervisor (required from
// dist/, wired as `podshim run` wires it, with the real addon) on a pod of
// many containers that each `sleep`, and timestamps with hrtime the
// supervisor's own "Created" and "Started" events for each container. The
// two are recorded synchronously just before and just after
// startContainerProcess(), so the interval is everything podshim does to
// start one container: process spec, volume and /etc mounts, the plan, the
// pipes and cgroup leaf, and the native spawn up to the child's successful
// execve (the addon waits for the exec report pipe to close). The native
// spawn alone is timed too, through a wrapper around the injected NativeApi.
// Nothing in src/ is instrumented. The first container is reported apart:
// it pays one-time costs (lazy module code, the host mask list, JIT).
// Usage: node container-starts.js JSON  (repo, roots, cgroupParent, containers, pods)
'use strict'
const { mkdirSync } = require('node:fs')
const { join } = require('node:path')

const opts = JSON.parse(process.argv[2])
const dist = (p) => require(join(opts.repo, 'dist', p))
const { loadPod } = dist('spec/index.js')
const { nativeApi, PAUSE_PATH } = dist('native/addon.js')
const { BuiltinImageResolver } = dist('images/host-image.js')
const { podLogDir } = dist('logs/cri-log.js')
const { systemClock } = dist('supervisor/clock.js')
const { EventRecorder } = dist('supervisor/events.js')
const { PodSupervisor } = dist('supervisor/pod-supervisor.js')
const { PodSandbox } = dist('supervisor/pod-sandbox.js')
const { SandboxRuntime } = dist('supervisor/pod-runtime.js')
const { setupPodCgroup } = dist('commands/pod-cgroup-setup.js')
const { randomPodUid } = dist('commands/random-pod-uid.js')

const ms = (a, b) => Number(b - a) / 1e6

async function runPod(index) {
  const manifest = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `bench-starts-${index}` },
    spec: {
      restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: Array.from({ length: opts.containers }, (_, i) => ({ name: `c${i}`, image: 'podshim/host', command: ['sleep', '30'] })),
    },
  }
  const { pod } = loadPod(JSON.stringify(manifest), '<bench>', { newUid: randomPodUid })
  const { uid, name, namespace } = pod.metadata
  const clock = systemClock(1)
  const events = new EventRecorder(clock)
  const created = new Map()
  const starts = []
  let current = null
  let spawnMs = []
  let allStarted
  const allStartedP = new Promise((resolve) => { allStarted = resolve })
  events.onEvent((e) => {
    const now = process.hrtime.bigint()
    if (e.reason === 'Created') { created.set(e.fieldPath, now); current = e.fieldPath }
    if (e.reason === 'Started' && created.has(e.fieldPath)) {
      starts.push({ container: e.fieldPath, ms: ms(created.get(e.fieldPath), now) })
      current = null
      if (starts.length === opts.containers) allStarted()
    }
    if (e.type === 'Warning' && e.reason === 'Failed') allStarted(new Error(`${e.fieldPath}: ${e.message}`))
  })
  const native = {
    ...nativeApi,
    spawn(plan) {
      const t0 = process.hrtime.bigint()
      try { return nativeApi.spawn(plan) } finally { if (current !== null) spawnMs.push(ms(t0, process.hrtime.bigint())) }
    },
  }
  const cgroup = setupPodCgroup(pod, { parent: opts.cgroupParent, strict: false, pidsLimit: -1 })
  const stateDir = join(opts.stateRoot, 'pods', uid)
  mkdirSync(stateDir, { recursive: true, mode: 0o700 })
  const paths = { stateDir, dataDir: join(opts.dataRoot, 'pods', uid) }
  const sandbox = new PodSandbox(native, pod, paths, cgroup, PAUSE_PATH)
  const runtime = new SandboxRuntime(sandbox, name, null, podLogDir(opts.logRoot, namespace, name, uid), { line: () => true, whenDrained: (_stream, callback) => callback() })
  const supervisor = new PodSupervisor(pod, { runtime, clock, images: new BuiltinImageResolver(), events })
  const stopOnSignal = () => supervisor.stop()
  process.on('SIGTERM', stopOnSignal)
  process.on('SIGINT', stopOnSignal)
  const done = supervisor.run()
  const failed = await Promise.race([allStartedP, done.then(() => new Error('pod ended before all containers started'))])
  supervisor.stop()
  await done
  process.off('SIGTERM', stopOnSignal)
  process.off('SIGINT', stopOnSignal)
  if (failed instanceof Error) throw failed
  return { starts: starts.map((s) => s.ms), spawns: spawnMs }
}

async function main() {
  const pods = []
  for (let i = 0; i < opts.pods; i++) pods.push(await runPod(i))
  process.stdout.write(JSON.stringify({ pods }) + '\n')
}

main().catch((err) => {
  process.stderr.write(`container-starts: ${err.stack ?? err}\n`)
  process.exitCode = 1
})
