// What the supervisor does when a liveness or startup probe fails for good,
// as kubelet's computePodActions / computeInitContainerActions decide it:
// the Killing message ("…, will be restarted" only when the pod's policy
// restarts it; "Init container …" for a sidecar), and under OnFailure a
// restart whatever the exit code, unless the container is in backoff.
import t from 'tap'
import { NO_LIFECYCLE, type LifecycleAgent, type ProbeCallbacks } from '../../../src/supervisor/lifecycle-agent'
import { c, supervisedPod } from './fixtures/supervised-pod'

/** A lifecycle agent whose probe outcomes the test reports by hand, per container name. */
function handProbes(): { agent: LifecycleAgent; probes: Map<string, ProbeCallbacks> } {
  const probes = new Map<string, ProbeCallbacks>()
  return { agent: { ...NO_LIFECYCLE, containerStarted: (rec, callbacks) => void probes.set(rec.name, callbacks) }, probes }
}

const killings = (events: { reason: string; message: string }[]): string[] => events.filter((e) => e.reason === 'Killing').map((e) => e.message)

t.test('the Killing message says "will be restarted" only when the policy restarts the container', async (t) => {
  for (const [policy, expected] of [
    ['Always', 'Container app failed liveness probe, will be restarted'],
    ['OnFailure', 'Container app failed liveness probe, will be restarted'],
    ['Never', 'Container app failed liveness probe'],
  ]) {
    const { agent, probes } = handProbes()
    const pod = supervisedPod(`  restartPolicy: ${policy}\n  containers:\n${c('app')}`, agent)
    await pod.tick(0)
    probes.get('app')!.onUnhealthy('liveness', 30_000)
    await pod.tick(0)
    t.same(killings(pod.sup.events.events), [expected], policy)
    pod.sup.stop()
    await pod.done
  }
})

t.test('a sidecar that fails its probes is killed as kubelet words it for init containers', async (t) => {
  const { agent, probes } = handProbes()
  const pod = supervisedPod(`  restartPolicy: Never\n  initContainers:\n${c('side', ', restartPolicy: Always')}  containers:\n${c('app')}`, agent)
  await pod.tick(0)
  probes.get('side')!.onUnhealthy('startup', 30_000)
  await pod.tick(0)
  probes.get('side')!.onUnhealthy('liveness', 30_000)
  await pod.tick(10_000)
  t.same(killings(pod.sup.events.events), ['Init container side failed startup probe', 'Init container side failed liveness probe'])
  t.equal(pod.runtime.started.filter((p) => p.name === 'side').length, 3, 'restarted each time, under a Never pod')
  pod.sup.stop()
  await pod.done
})

t.test('OnFailure: a probe kill restarts a container that exits 0 on TERM, unless it is backing off', async (t) => {
  const { agent, probes } = handProbes()
  const pod = supervisedPod(`  restartPolicy: OnFailure\n  containers:\n${c('app')}`, agent)
  pod.runtime.termExitCode.set('app', 0)
  await pod.tick(0)
  probes.get('app')!.onUnhealthy('liveness', 30_000)
  await pod.tick(0)
  t.equal(pod.runtime.started.length, 2, 'restarted at once: not in backoff, so kubelet starts it in the same sync')
  t.equal(pod.sup.status().containerStatuses[0].restartCount, 1)
  await pod.tick(5_000)
  probes.get('app')!.onUnhealthy('liveness', 30_000)
  await pod.done
  t.equal(pod.runtime.started.length, 2, 'in backoff: kubelet\'s next syncs leave a container that exited 0 alone under OnFailure')
  t.equal(pod.result()!.status.phase, 'Succeeded')
  t.match(pod.result()!.status.containerStatuses[0].state.terminated, { exitCode: 0, reason: 'Completed' })
})

t.test('Never: a probe kill is the container\'s end', async (t) => {
  const { agent, probes } = handProbes()
  const pod = supervisedPod(`  restartPolicy: Never\n  containers:\n${c('app')}`, agent)
  await pod.tick(0)
  probes.get('app')!.onUnhealthy('liveness', 30_000)
  await pod.done
  t.equal(pod.runtime.started.length, 1)
  t.equal(pod.result()!.status.phase, 'Failed')
  t.match(pod.result()!.status.containerStatuses[0].state.terminated, { exitCode: 143, reason: 'Error' })
})
