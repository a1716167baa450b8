// Pods that run to completion: restartPolicy Never and OnFailure, the exit
// code of `podshim run`, the final v1 PodStatus of `-o json`, and the CRI
// log files under the log root.

import t from 'tap'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { WAIT_SCALE, containerLines, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const CONDITION_TYPES = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']
const CRI_LINE = /^\S+Z (stdout|stderr) [FP] /
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

t.test('restartPolicy Never, all succeed: exit 0, a valid v1 PodStatus, CRI logs', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('done', [
    shContainer('out', 'echo to stdout; echo to stderr >&2; printf "no newline"'),
    shContainer('quiet', 'true'),
  ]), { args: ['-o', 'json'] })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const status = r.status
  t.ok(status !== undefined, 'stdout is one JSON document', { stdout: r.stdout })
  t.equal(status.phase, 'Succeeded')
  t.match(status.startTime, RFC3339, 'startTime is RFC 3339')
  t.same(status.conditions.map((c: any) => c.type), CONDITION_TYPES, 'kubelet\'s conditions, in kubelet\'s order')
  for (const c of status.conditions) {
    t.match(c, { status: /^(True|False)$/, lastTransitionTime: RFC3339 }, `condition ${c.type} has a status and a transition time`)
  }
  t.match(status.conditions.find((c: any) => c.type === 'Ready'), { status: 'False', reason: 'PodCompleted' }, 'a completed pod is not Ready')
  t.same(status.containerStatuses.map((c: any) => c.name), ['out', 'quiet'])
  for (const c of status.containerStatuses) {
    t.match(c, {
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: RFC3339, finishedAt: RFC3339 } },
      lastState: {}, restartCount: 0, ready: false, started: false, image: 'podshim/host', containerID: /^\w+:\/\/[0-9a-f]+$/,
    }, `${c.name}: terminated/Completed with the v1 fields`)
    t.equal(c.containerID, c.state.terminated.containerID, `${c.name}: the same containerID in status and state`)
  }
  t.not(status.containerStatuses[0].containerID, status.containerStatuses[1].containerID, 'container IDs are unique')
  t.ok(containerLines(r.stderr, 'out').includes('to stdout'), 'container output goes to stderr with -o json')

  const podDirs = readdirSync(env.logRoot)
  t.equal(podDirs.length, 1, 'one pod log directory')
  t.match(podDirs[0], /^default_done_[0-9a-f-]{36}$/, 'named <namespace>_<pod>_<uid>')
  const log = readFileSync(join(env.logRoot, podDirs[0], 'out', '0.log'), 'utf8').split('\n').filter((l) => l !== '')
  for (const line of log) t.match(line, CRI_LINE, `CRI log line: ${line}`)
  // stdout and stderr are separate pipes: their relative order is not defined
  t.same(log.map((l) => l.replace(/^\S+ /, '')).sort(), ['stderr F to stderr', 'stdout F to stdout', 'stdout P no newline'], 'each stream, full and partial lines')
  t.same(readdirSync(join(env.logRoot, podDirs[0], 'quiet')), ['0.log'], 'a log file also for a silent container')
})

t.test('restartPolicy Never, one fails: the pod fails and run exits with its code', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('partly', [shContainer('ok', 'true'), shContainer('bad', 'exit 5')]), { args: ['-o', 'json'] })
  t.equal(r.code, 5, 'podshim run exits with the failed container\'s code', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Failed')
  const bad = r.status?.containerStatuses?.find((c: any) => c.name === 'bad')
  t.match(bad?.state?.terminated, { exitCode: 5, reason: 'Error' })
  t.equal(bad?.restartCount, 0, 'never restarted')
})

t.test('restartPolicy OnFailure: a failed container restarts, then the pod succeeds', async (t) => {
  const env = podEnv(t)
  // fails on its first run, succeeds on the second (state kept in an emptyDir)
  const script = 'if [ -e /state/failed-once ]; then echo second run; else touch /state/failed-once; echo first run; exit 3; fi'
  const r = await env.run(podManifest('retry', [shContainer('flaky', script, { volumeMounts: [{ name: 'state', mountPath: '/state' }] })], {
    restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }],
  }), { args: ['-o', 'json', '--time-scale', String(100 / WAIT_SCALE)], timeoutMs: 5000 })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Succeeded')
  const flaky = r.status?.containerStatuses?.[0]
  t.equal(flaky?.restartCount, 1, 'restarted once')
  t.match(flaky?.state?.terminated, { exitCode: 0, reason: 'Completed' }, 'the second run completed')
  t.match(flaky?.lastState?.terminated, { exitCode: 3, reason: 'Error' }, 'lastState is the failed first run')
  const logDir = join(env.logRoot, readdirSync(env.logRoot)[0], 'flaky')
  t.same(readdirSync(logDir).sort(), ['0.log', '1.log'], 'one log file per instance')
  t.match(readFileSync(join(logDir, '1.log'), 'utf8'), /stdout F second run/)
})

t.test('logs of restarts: the current instance and the one before, as kubelet\'s container GC keeps them', async (t) => {
  const env = podEnv(t)
  const script = 'n=$(( $(cat /state/n 2>/dev/null || echo 0) + 1 )); echo $n > /state/n; echo "run $n"; [ $n -ge 4 ]'
  const r = await env.run(podManifest('gc', [shContainer('flaky', script, { volumeMounts: [{ name: 'state', mountPath: '/state' }] })], {
    restartPolicy: 'OnFailure', volumes: [{ name: 'state', emptyDir: {} }],
  }), { args: ['-o', 'json', '--time-scale', String(400 / WAIT_SCALE)], timeoutMs: 10_000 })
  t.equal(r.code, 0, 'the fourth run succeeded', { stderr: r.stderr })
  const logDir = join(env.logRoot, readdirSync(env.logRoot)[0], 'flaky')
  t.same(readdirSync(logDir).sort(), ['2.log', '3.log'], 'instances 0 and 1 are gone')
  t.match(readFileSync(join(logDir, '3.log'), 'utf8'), /stdout F run 4\n$/)
})

t.test('a container that fails to start has an empty log, as containerd opens it first', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('no-binary', [{ name: 'nope', image: 'podshim/host', command: ['/bin/no-such-binary'] }]), { args: ['-o', 'json'] })
  t.match(r.status?.containerStatuses?.[0]?.state?.terminated, { reason: 'StartError', exitCode: 128 })
  t.equal(readFileSync(join(env.logRoot, readdirSync(env.logRoot)[0], 'nope', '0.log'), 'utf8'), '')
})

t.test('a log past 10Mi is rotated, as kubelet rotates it', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('big-log', [shContainer('loud', 'head -c 11000000 /dev/zero | tr "\\0" x | fold -w 999; echo; echo last line')]), { args: ['-q'] })
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const logDir = join(env.logRoot, readdirSync(env.logRoot)[0], 'loud')
  const files = readdirSync(logDir).sort()
  t.equal(files.length, 2, `the log and one rotated file (${files.join(' ')})`)
  t.match(files[1], /^0\.log\.\d{8}-\d{6}$/)
  t.ok(statSync(join(logDir, files[1])).size > 10 * 1024 * 1024, 'rotated past 10Mi')
  t.match(readFileSync(join(logDir, '0.log'), 'utf8'), /stdout F last line\n$/, 'the rest went on in a new 0.log')
})

t.test('a pod run again with the same uid goes on from its last log, as kubelet counts restarts from the log directory', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('again', [shContainer('c', 'echo run; exit 3', { terminationMessagePolicy: 'FallbackToLogsOnError' })])
  manifest.metadata = { name: 'again', uid: '7d0c1a52-4b8e-4a51-9a8e-0c2f3b4d5e6f' }
  const first = await env.run(manifest, { args: ['-o', 'json'] })
  t.equal(first.status?.containerStatuses?.[0]?.restartCount, 0)
  const second = await env.run(manifest, { args: ['-o', 'json'] })
  const status = second.status?.containerStatuses?.[0]
  t.equal(status?.restartCount, 1, 'the second run\'s container is instance 1')
  const logDir = join(env.logRoot, readdirSync(env.logRoot)[0], 'c')
  t.same(readdirSync(logDir).sort(), ['0.log', '1.log'], 'the first run\'s log is kept, the second has its own')
  t.equal(status?.state?.terminated?.message, 'run\n', 'the fallback message is the second run\'s log alone')
})
