// The terminal side of `podshim run`: bytes kept as they came in the CRI
// log, a reader that goes away (`| head`) or falls behind (a paused pager),
// and SIGHUP (a closed terminal). Each ends with nothing left behind (the
// harness's teardown checks processes, mounts, cgroups and state).

import t from 'tap'
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLI_PATH, RUN_TIMEOUT_MS, cliEnv, podEnv, podManifest, shContainer, waitMs } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** The one container log file of a pod run under env. */
function logFile(logRoot: string, container: string): string {
  const [podDir] = readdirSync(logRoot)
  return join(logRoot, podDir, container, '0.log')
}

t.test('output bytes reach the CRI log as they came (containerd does not decode them)', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('bytes', [shContainer('c', "printf 'bin:\\377\\376\\000z\\n'")]))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const log = readFileSync(logFile(env.logRoot, 'c'))
  const text = log.subarray(log.indexOf(' F ') + 3)
  t.same([...text], [...Buffer.from('bin:\xff\xfe\x00z\n', 'latin1')])
})

t.test('a reader that goes away (| head): the pod runs to its end and is torn down', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('headed', [shContainer('c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i + 1)); done; echo finished >&2')]))
  await pod.waitFor(/c +\| line 0/)
  pod.child.stdout!.destroy()
  const r = await pod.result
  t.equal(r.code, 0, 'it exits as the pod does', { stderr: r.stderr })
  t.match(r.stderr, /c +\| finished/, 'stderr still shows the container')
  t.notMatch(r.stderr, /EPIPE|at .*\(node:/, 'no stack trace')
  t.match(readFileSync(logFile(env.logRoot, 'c'), 'utf8'), /stdout F line 1999\n/, 'the CRI log has every line')
})

t.test('a terminal that falls behind holds the container back instead of filling podshim\'s memory', async (t) => {
  const env = podEnv(t)
  const line = 'x'.repeat(200)
  const pod = env.start(podManifest('flood', [shContainer('c', `while true; do echo ${line}; done`)], { terminationGracePeriodSeconds: 1 }))
  await pod.waitFor(/c +\| x{200}/)
  pod.child.stdout!.pause()
  const file = logFile(env.logRoot, 'c')
  // the pipes fill up first: poll until the size has not changed for 500 ms (scaled), or the hang guard
  const deadline = Date.now() + waitMs(10_000)
  let first = statSync(file).size
  let second = first
  let since = Date.now()
  while (Date.now() - since < waitMs(500) && Date.now() < deadline) {
    await sleep(waitMs(100))
    second = statSync(file).size
    if (second !== first) [first, since] = [second, Date.now()]
  }
  t.equal(second, first, `the log stops growing while nobody reads the terminal (${first} bytes)`)
  t.ok(Date.now() - since >= waitMs(500), 'it stayed the same for 500 ms')
  t.ok(first < 8 * 1024 * 1024, 'within pipe buffers, not unbounded')
  pod.child.stdout!.resume()
  // the log grows again once the terminal is read: within seconds, however busy the machine
  const resumeBy = Date.now() + waitMs(5000)
  while (statSync(file).size <= second && Date.now() < resumeBy) await sleep(waitMs(20))
  t.ok(statSync(file).size > second, 'reading again lets the container go on')
  pod.child.kill('SIGTERM')
  const r = await pod.result
  t.equal(r.code, 0, 'a clean stop', { stderr: r.stderr.slice(-2000) })
})

t.test('SIGHUP (the terminal closed) stops the pod as Ctrl-C does', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('hup', [shContainer('c', 'echo ready; exec sleep 1000')], { terminationGracePeriodSeconds: 1 }))
  await pod.waitFor(/c +\| ready/)
  pod.child.kill('SIGHUP')
  const r = await pod.result
  t.equal(r.code, 0, 'stopped cleanly', { stderr: r.stderr })
  t.match(r.stderr, /SIGHUP: stopping pod "hup"/)
})

t.test('a stop does not wait for a terminal that is not read: the pod is torn down, only podshim\'s own last writes wait', async (t) => {
  const env = podEnv(t)
  const line = 'y'.repeat(200)
  const pod = env.start(podManifest('unread', [shContainer('c', `while true; do echo ${line}; done`)], { terminationGracePeriodSeconds: 1 }))
  await pod.waitFor(/c +\| y{200}/)
  pod.child.stdout!.pause()
  await sleep(waitMs(300))
  pod.child.kill('SIGINT')
  // the container dies at its grace period; what it left in its pipes is read out, and the pod goes
  const deadline = Date.now() + waitMs(10_000)
  while (existsSync(join(env.stateRoot, 'pods')) && readdirSync(join(env.stateRoot, 'pods')).length > 0 && Date.now() < deadline) await sleep(50)
  t.same(readdirSync(join(env.stateRoot, 'pods')), [], 'the pod\'s state is gone while stdout is still unread')
  t.notOk(existsSync(env.cgroupDir) && readdirSync(env.cgroupDir).length > 0, 'and its cgroup')
  pod.child.stdout!.resume()
  const r = await pod.result
  t.equal(r.code, 0, 'a clean stop once the reader reads again', { stderr: r.stderr.slice(-2000) })
})

t.test('-o json whose status cannot be written (a full disk) fails, saying so', async (t) => {
  const env = podEnv(t)
  const manifest = env.writeManifest(podManifest('full', [shContainer('c', 'true')]))
  const full = openSync('/dev/full', 'w')
  t.teardown(() => closeSync(full))
  const child = spawn(CLI_PATH, ['run', '-q', '-o', 'json', ...env.rootArgs(), manifest], { stdio: ['ignore', full, 'pipe'], env: cliEnv() })
  // a hang guard: a killed run closes with code null, which fails below
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
  t.teardown(() => {
    clearTimeout(timer)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const [code] = await once(child, 'close') as [number | null]
  t.equal(code, 1, 'exit 1', { stderr })
  t.equal(stderr, 'podshim: write the pod status to stdout: ENOSPC: no space left on device, write\n', 'one line, no stack trace')
})
