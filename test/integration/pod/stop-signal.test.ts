// lifecycle.stopSignal (KEP-4960): a stopped container gets its own stop
// signal first, over its image's STOPSIGNAL and SIGTERM, then KILL at the
// grace period as ever. The container traps the signal and says which it
// got, from inside the pod.

import t from 'tap'
import { containerLines, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const TRAPS = 'for s in USR1 TERM QUIT; do trap "echo got $s; exit 0" $s; done; echo up; while true; do sleep 0.1; done'

t.test('a container stopped with its lifecycle.stopSignal, another with SIGTERM', async (t) => {
  const env = podEnv(t)
  const pod = env.start(podManifest('stop-signal', [
    shContainer('own', TRAPS, { lifecycle: { stopSignal: 'SIGUSR1' } }),
    shContainer('plain', TRAPS),
  ], { os: { name: 'linux' }, terminationGracePeriodSeconds: 5 }))
  await pod.waitFor(/own +\| up/)
  await pod.waitFor(/plain +\| up/)
  pod.child.kill('SIGINT')
  const r = await pod.result
  t.equal(r.code, 0, 'stopped cleanly', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'own'), ['up', 'got USR1'])
  t.same(containerLines(r.stdout, 'plain'), ['up', 'got TERM'])
})

t.test('a stopSignal without spec.os.name, or one Kubernetes does not list, is refused', async (t) => {
  const env = podEnv(t)
  const noOs = await env.run(podManifest('no-os', [shContainer('c', 'true', { lifecycle: { stopSignal: 'SIGUSR1' } })]))
  t.equal(noOs.code, 1, { stderr: noOs.stderr })
  t.match(noOs.stderr, 'spec.containers[0].lifecycle.stopSignal: may not be set for containers with empty `spec.os.name`')
  const bad = await env.run(podManifest('bad', [shContainer('c', 'true', { lifecycle: { stopSignal: 'SIGNOPE' } })], { os: { name: 'linux' } }))
  t.equal(bad.code, 1, { stderr: bad.stderr })
  t.match(bad.stderr, 'spec.containers[0].lifecycle.stopSignal: unsupported value "SIGNOPE": supported values: "SIGABRT"')
})
