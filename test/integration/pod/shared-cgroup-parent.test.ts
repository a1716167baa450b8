// Many runs under one nested --cgroup-parent whose levels podshim makes:
// every run starts (none fails because another removed a level under it),
// and the last pod out removes the levels, whichever run made them.

import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { podEnv, podManifest, shContainer, waitS } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

t.test('the run that made the nested levels ends first: the last run out removes them', async (t) => {
  const env = podEnv(t)
  const args = ['--cgroup-parent', `${env.cgroupParent}/a/b`]
  const waiting = (name: string) => podManifest(name, [shContainer('c', 'echo ready; exec sleep 1000')], { terminationGracePeriodSeconds: 1 })
  const first = env.start(waiting('first'), { args })
  await first.waitFor(/c +\| ready/)
  const others = [1, 2, 3].map((i) => env.start(waiting(`other-${i}`), { args }))
  for (const o of others) await o.waitFor(/c +\| ready/)
  first.child.kill('SIGTERM')
  await first.result
  t.ok(existsSync(join(env.cgroupDir, 'a', 'b')), 'the levels stay while other pods are in them')
  t.equal(readdirSync(join(env.cgroupDir, 'a', 'b')).filter((e) => /^[0-9a-f-]{36}$/.test(e)).length, 3, 'the other three pods')
  for (const o of others) o.child.kill('SIGTERM')
  for (const o of others) await o.result
  t.notOk(existsSync(env.cgroupDir), 'no level is left, the top one included')
})

t.test('12 runs at once under one nested parent: each runs, and no level is left', async (t) => {
  const env = podEnv(t)
  const args = ['--cgroup-parent', `${env.cgroupParent}/a/b`]
  for (let round = 1; round <= 2; round++) {
    // lives of different lengths, so that the pods end in another order than they started
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      env.run(podManifest(`pod-${i}`, [shContainer('c', `echo ran; sleep ${waitS(((i * 7) % 12) / 20)}`)]), { args })))
    for (const [i, r] of runs.entries()) t.equal(r.code, 0, `round ${round}: pod-${i} ran`, { stderr: r.stderr })
    t.notOk(existsSync(env.cgroupDir), `round ${round}: no level is left`)
  }
})
