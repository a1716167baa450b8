// Where the pod's processes sit in the cgroup2 hierarchy, seen from inside
// the pod: pause has a leaf no container can share (`_pause`: '_' is not in
// an RFC 1123 label, so even a container named "pause" gets a leaf of its
// own, and its exit kills only its own leaf), and a nested --cgroup-parent
// is made level by level and removed again (the harness's teardown fails
// the test on any cgroup left under its own parent).

import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { cgroup2Mount, containerLines, keyValues, podEnv, podManifest, shContainer, waitS } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** Prints this container's cgroup and PID 1's (pause, in the shared PID namespace). */
const CGROUPS = 'echo "self=$(grep ^0:: /proc/self/cgroup)"; echo "pid1=$(grep ^0:: /proc/1/cgroup)"'

t.test('a container named pause has its own leaf: its exit leaves pause and the pod running', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('pausename', [
    shContainer('pause', CGROUPS),
    // still running when the container "pause" exits and its leaf is killed
    shContainer('other', `sleep ${waitS(2)}; echo done`),
  ]), { args: ['-o', 'json'] })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.equal(r.status?.phase, 'Succeeded', 'the pod succeeds', { stderr: r.stderr })
  t.notMatch(r.stderr, /SandboxExited/, 'pause was not killed')
  const other = r.status?.containerStatuses?.find((c: any) => c.name === 'other')
  t.match(other?.state, { terminated: { exitCode: 0, reason: 'Completed' } }, 'the other container ran to its end')
  t.same(containerLines(r.stderr, 'other'), ['done'])
  const seen = keyValues(containerLines(r.stderr, 'pause'))
  const uid = /^0::\/.+\/([0-9a-f-]{36})\/pause$/.exec(seen.get('self') ?? '')?.[1]
  t.ok(uid !== undefined, 'the container "pause" is in the leaf named after it', { seen })
  t.equal(seen.get('self'), `0::/${env.cgroupParent}/${uid}/pause`)
  t.equal(seen.get('pid1'), `0::/${env.cgroupParent}/${uid}/_pause`, 'pause is in _pause, a leaf no container can have')
})

t.test('a nested --cgroup-parent: the missing levels are made, and removed at the end', async (t) => {
  const env = podEnv(t)
  // below the test's own parent, so the harness finds anything left of it
  const nested = `${env.cgroupParent}/kubepods/burstable`
  const r = await env.run(podManifest('nested', [shContainer('a', CGROUPS)]), { args: ['-o', 'json', '--cgroup-parent', nested] })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stderr, 'a'))
  t.match(seen.get('self'), new RegExp(`^0::/${nested}/[0-9a-f-]{36}/a$`), 'the container is in its leaf below the nested parent')
  t.match(seen.get('pid1'), new RegExp(`^0::/${nested}/[0-9a-f-]{36}/_pause$`), 'pause too')
  t.notOk(existsSync(join(cgroup2Mount(), env.cgroupParent)), 'every level podshim made is removed')
})
