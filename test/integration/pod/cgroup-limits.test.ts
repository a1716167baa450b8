// Resource limits on the host tier: each container sits in its own leaf of
// the pod cgroup; a limit whose controller this host's cgroup v2 hierarchy
// lacks (the dev machines bind cpu, memory and pids to v1) is named in one
// warning and a CgroupLimitsNotEnforced event, and --strict-cgroups turns
// that into an error that leaves nothing behind. Expectations follow the
// real cgroup.controllers: on a host that has the controllers, this file
// only checks that there is no warning and that --strict-cgroups runs the
// pod; the values written and their effect are checked in test/vm/limits.

import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cgroup2Mount, containerLines, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const controllers = new Set(readFileSync(join(cgroup2Mount(), 'cgroup.controllers'), 'utf8').trim().split(/\s+/))
const limited = shContainer('limited', 'cat /proc/self/cgroup', {
  resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
})

t.test('each container runs in its own leaf of the pod cgroup', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('leaves', [shContainer('a', 'cat /proc/self/cgroup'), shContainer('b', 'cat /proc/self/cgroup')]), { args: ['-o', 'json'] })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  for (const name of ['a', 'b']) {
    const line = containerLines(r.stderr, name).find((l) => l.startsWith('0::'))
    t.match(line, new RegExp(`^0::/${env.cgroupParent}/[0-9a-f-]{36}/${name}$`), `${name} is in its leaf`)
  }
})

t.test('limits the host cannot enforce: one warning naming each, and an event', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('limits', [limited]))
  t.equal(r.code, 0, 'the pod runs anyway', { stderr: r.stderr })
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('podshim: warning: limits not enforced'))
  const missing = ['cpu', 'memory'].filter((c) => !controllers.has(c))
  if (missing.length === 0) {
    t.same(warnings, [], 'every controller is there: no warning')
    return
  }
  t.equal(warnings.length, 1, 'exactly one warning line')
  if (!controllers.has('cpu')) t.match(warnings[0], /cpu\.max "50000 100000" of container "limited"/, 'names the cpu limit and its value')
  if (!controllers.has('memory')) t.match(warnings[0], /memory\.max "134217728" of container "limited"/, 'names the memory limit and its value')
  t.match(warnings[0], /controller not available in cgroup v2/, 'says why')
  t.match(r.stderr, /Warning CgroupLimitsNotEnforced pod: limits not enforced:/, 'recorded as an event')
})

t.test('--strict-cgroups: an error naming each limit, and nothing created', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('strict', [limited]), { args: ['--strict-cgroups'] })
  if (controllers.has('cpu') && controllers.has('memory')) {
    t.equal(r.code, 0, 'every limit can be enforced here')
    return
  }
  t.equal(r.code, 1, 'podshim run exits 1')
  t.match(r.stderr, /^podshim: create pod cgroup "[0-9a-f-]+": limits not enforceable: /m, 'one error for the pod')
  if (!controllers.has('cpu')) t.match(r.stderr, /cpu\.max "50000 100000" of container "limited"/, 'names the cpu limit')
  if (!controllers.has('memory')) t.match(r.stderr, /memory\.max "134217728" of container "limited"/, 'names the memory limit')
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
  t.same(containerLines(r.stdout, 'limited'), [], 'the container never ran')
  const left = existsSync(env.cgroupDir) ? readdirSync(env.cgroupDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []
  t.same(left, [], 'no pod cgroup was created')
})
