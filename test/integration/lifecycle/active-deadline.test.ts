// activeDeadlineSeconds (kubelet's activeDeadlineHandler): a pod still
// active that long after its start fails with reason DeadlineExceeded, its
// containers get TERM and the grace period, and none is restarted, even
// under restartPolicy Always. Time scale 20: a 20 s deadline is 1 s real.
import t from 'tap'
import { IS_ROOT, condition, containerLines, containerStatus, parseEvents, podEnv, podManifest, scaled, shContainer, waitMs } from './fixtures/lifecycle'

if (!IS_ROOT) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const MESSAGE = 'Pod was active on the node longer than the specified deadline'

t.test('past activeDeadlineSeconds the pod fails with DeadlineExceeded and its containers are stopped', async (t) => {
  const env = podEnv(t)
  const started = Date.now()
  const r = await env.run(podManifest('deadline', [shContainer('app', 'trap "echo got TERM; exit 0" TERM; echo up; while :; do sleep 0.1; done')], {
    restartPolicy: 'Always', activeDeadlineSeconds: 20, terminationGracePeriodSeconds: 10,
  }), scaled(20))
  const elapsed = Date.now() - started
  t.ok(elapsed >= waitMs(1000), `ended after the deadline, 20 s scaled (${elapsed} ms)`)
  t.equal(r.code, 1, 'podshim run exits 1: the pod failed', { stderr: r.stderr })
  t.match(r.status, { phase: 'Failed', reason: 'DeadlineExceeded', message: MESSAGE })
  t.match(condition(r.status, 'Ready'), { status: 'False' })
  t.same(containerLines(r.stderr, 'app'), ['up', 'got TERM'], 'TERM, once; never restarted')
  t.match(containerStatus(r.status, 'app'), { restartCount: 0, state: { terminated: { exitCode: 0 } } })
  t.match(parseEvents(r.stderr).find((e) => e.reason === 'DeadlineExceeded'), { type: 'Normal', message: MESSAGE })
})
