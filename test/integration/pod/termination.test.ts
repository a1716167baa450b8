// Stopping a running pod with a signal to `podshim run`: TERM to every
// container, KILL at terminationGracePeriodSeconds for what ignores it, a
// second SIGINT kills at once, and a container that honours TERM stops
// quickly. Times are wall-clock from the signal to the CLI's exit; the grace
// period is real (no --time-scale), so only the upper bounds scale (waitMs).

import t from 'tap'
import { podEnv, podManifest, shContainer, waitMs, type Json } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const IGNORES_TERM = 'trap "" TERM; echo ready; sleep 1000'

function terminated(status: any, name: string): Json {
  return status?.containerStatuses?.find((c: any) => c.name === name)?.state?.terminated ?? {}
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal}: a TERM-ignoring container is killed at the grace period (2 s)`, async (t) => {
    const env = podEnv(t)
    const pod = env.start(podManifest('stubborn', [shContainer('stubborn', IGNORES_TERM)], { terminationGracePeriodSeconds: 2 }), { args: ['-o', 'json'] })
    await pod.waitFor(/stubborn \| ready/)
    const sent = Date.now()
    process.kill(pod.pid, signal)
    const r = await pod.result
    const elapsed = Date.now() - sent
    t.ok(elapsed >= 1900, `not killed before the grace period (${elapsed} ms)`)
    // the alternative is no kill at all: the sleep outlives the harness's 30 s run timeout
    t.ok(elapsed < waitMs(15_000), `killed after it, long before the sleep would end (${elapsed} ms)`)
    t.equal(r.code, 0, 'podshim run exits 0: the pod was stopped on request', { stderr: r.stderr })
    t.match(r.stderr, new RegExp(`${signal}: stopping pod "stubborn" \\(grace period 2s`), 'the stop is announced')
    t.match(terminated(r.status, 'stubborn'), { exitCode: 137, reason: 'Error', signal: undefined }, 'the status says exit code 137 (128 + SIGKILL), as kubelet: no signal field')
  })
}

t.test('under --time-scale the stop says how long the grace period takes', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('scaled', [shContainer('stubborn', IGNORES_TERM)], { terminationGracePeriodSeconds: 30 }), { args: ['--time-scale', '10'] })
  await pod.waitFor(/stubborn \| ready/)
  process.kill(pod.pid, 'SIGINT')
  const r = await pod.result
  t.match(r.stderr, /SIGINT: stopping pod "scaled" \(grace period 30s; 3s at --time-scale 10; again to kill\)/)
  t.equal(r.code, 0, 'stopped cleanly', { stderr: r.stderr })
})

t.test('a second SIGINT kills at once', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('stubborn', [shContainer('stubborn', IGNORES_TERM)], { terminationGracePeriodSeconds: 30 }), { args: ['-o', 'json'] })
  await pod.waitFor(/stubborn \| ready/)
  process.kill(pod.pid, 'SIGINT')
  await pod.waitFor(/SIGINT: stopping pod/)
  const sent = Date.now()
  process.kill(pod.pid, 'SIGINT')
  const r = await pod.result
  const elapsed = Date.now() - sent
  // the alternative is the 30 s grace period
  t.ok(elapsed < waitMs(15_000), `ends after the second SIGINT, not at the 30 s grace period (${elapsed} ms)`)
  t.match(r.stderr, /SIGINT: killing pod "stubborn"/, 'the kill is announced')
  t.match(terminated(r.status, 'stubborn'), { exitCode: 137 }, 'the status says exit code 137 (128 + SIGKILL)')
})

t.test('a TERM-respecting container stops quickly with exit code 143', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('polite', [shContainer('polite', 'echo ready; exec sleep 1000')], { terminationGracePeriodSeconds: 30 }), { args: ['-o', 'json'] })
  await pod.waitFor(/polite \| ready/)
  const sent = Date.now()
  process.kill(pod.pid, 'SIGTERM')
  const r = await pod.result
  const elapsed = Date.now() - sent
  // the alternative is a kill at the 30 s grace period (and 137, not 143)
  t.ok(elapsed < waitMs(15_000), `stops within the grace period, not at its end (${elapsed} ms)`)
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.match(terminated(r.status, 'polite'), { exitCode: 143, reason: 'Error' }, 'the status says exit code 143 (128 + SIGTERM)')
})
