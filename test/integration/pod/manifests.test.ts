// Bad manifests end `podshim run` before anything is made: every problem on
// its own line with its field path, exit code 1, no stack trace, and no
// state/log/data root, no cgroup. A good manifest on stdin (`-`) runs.

import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { containerLines, podEnv, podManifest, shContainer, type Json, type PodEnv, type RunResult } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** The common shape of a refused manifest; returns the problem lines (indented under the first). */
function assertRefused(t: Test, env: PodEnv, r: RunResult): string[] {
  t.equal(r.code, 1, 'podshim run exits 1', { stderr: r.stderr })
  t.equal(r.stdout, '', 'nothing on stdout')
  t.match(r.stderr, /^podshim: /, 'the error starts with "podshim: "')
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  for (const root of [env.stateRoot, env.logRoot, env.dataRoot]) t.notOk(existsSync(root), `${root} was not created`)
  t.notOk(existsSync(env.cgroupDir), 'no cgroup was created')
  return r.stderr.split('\n').slice(1).filter((l) => l !== '').map((l) => l.trim())
}

t.test('an unknown field is an error naming its path', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('unknown', [shContainer('a', 'true', { bogus: 1 })]))
  const problems = assertRefused(t, env, r)
  t.same(problems, ['spec.containers[0].bogus: unknown field'], 'one line, naming spec.containers[0].bogus')
})

t.test('a pod kubelet would not admit is rejected before anything is made: another OS, an unsafe sysctl', async (t) => {
  const env = podEnv(t)
  const windows = await env.run(podManifest('for-windows', [shContainer('a', 'true')], { os: { name: 'windows' } }))
  assertRefused(t, env, windows)
  t.match(windows.stderr, 'podshim: pod "for-windows" rejected (PodOSNotSupported): spec.os.name: Failed to admit pod as the OS field doesn\'t match node OS (got "windows", this node runs linux)')
  const unsafe = await env.run(podManifest('unsafe', [shContainer('a', 'true')], { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }))
  assertRefused(t, env, unsafe)
  t.match(unsafe.stderr, 'rejected (SysctlForbidden)')
  // -o json: the status kubelet's rejectPod leaves
  const json = await env.run(podManifest('unsafe', [shContainer('a', 'true')], { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] } }), { args: ['-o', 'json'] })
  t.equal(json.code, 1)
  t.same(json.status, { phase: 'Failed', reason: 'SysctlForbidden', message: 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted', qosClass: 'BestEffort' })
  const linux = await env.run(podManifest('for-linux', [shContainer('a', 'echo ran')], { os: { name: 'linux' } }))
  t.equal(linux.code, 0, 'os.name linux runs', { stderr: linux.stderr })
})

t.test('several errors are reported at once, one line each with its field path', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('Bad_Name', [
    shContainer('a', 'true', { ports: [{ containerPort: 70000 }] }),
    shContainer('a', 'true', { volumeMounts: [{ name: 'missing', mountPath: 'relative' }] }),
  ], { terminationGracePeriodSeconds: -1 })
  const r = await env.run(manifest)
  const problems = assertRefused(t, env, r)
  t.match(r.stderr.split('\n')[0], /^podshim: invalid pod manifest ".*pod-1\.yaml"$/, 'the first line names the file')
  const paths = problems.map((p) => p.slice(0, p.indexOf(': ')))
  for (const path of [
    'metadata.name',
    'spec.containers[0].ports[0].containerPort',
    'spec.containers[1].name',
    'spec.containers[1].volumeMounts[0].name',
    'spec.containers[1].volumeMounts[0].mountPath',
    'spec.terminationGracePeriodSeconds',
  ]) t.ok(paths.includes(path), `a line for ${path}`, { problems })
  t.equal(problems.length, 6, 'one line per problem, no more', { problems })
})

t.test('invalid YAML is an error with its position', async (t) => {
  const env = podEnv(t)
  const r = await env.run('apiVersion: v1\nkind: Pod\nspec: [unclosed\n')
  const problems = assertRefused(t, env, r)
  t.equal(problems.length, 1, 'one problem line', { problems })
  t.match(problems[0], /yaml.*line \d+, column \d+/i, 'it says where')
})

t.test('a missing file is an error naming the file and ENOENT', async (t) => {
  const env = podEnv(t)
  const missing = join(env.dir, 'no-such-pod.yaml')
  const r = await env.run(null, { file: missing })
  assertRefused(t, env, r)
  t.equal(r.stderr.trim().split('\n').length, 1, 'a single line')
  t.match(r.stderr, `"${missing}"`, 'it names the file')
  t.match(r.stderr, /ENOENT/, 'and the errno')
})

t.test('a bad manifest on stdin names <stdin>', async (t) => {
  const env = podEnv(t)
  const r = await env.run(null, { file: '-', stdin: JSON.stringify(podManifest('from-stdin', [shContainer('a', 'true', { bogus: true })])) })
  const problems = assertRefused(t, env, r)
  t.match(r.stderr, /^podshim: invalid pod manifest "<stdin>"/, 'the source is <stdin>')
  t.same(problems, ['spec.containers[0].bogus: unknown field'])
})

t.test('a good manifest on stdin runs', async (t) => {
  const env = podEnv(t)
  const r = await env.run(null, { file: '-', stdin: JSON.stringify(podManifest('from-stdin', [shContainer('a', 'echo read from stdin')])) })
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'a'), ['read from stdin'], 'the container ran')
})

t.test('a metadata.uid already running is refused, naming the pod that has it; nothing of the running pod is touched', async (t) => {
  const env = podEnv(t)
  const uid = 'fixed-uid-0001'
  const withUid = (pod: Json): Json => ({ ...pod, metadata: { ...(pod.metadata as Json), uid } })
  const first = env.start(withUid(podManifest('first', [shContainer('a', 'echo ready; exec sleep 1000')], { terminationGracePeriodSeconds: 2 })))
  await first.waitFor(/a +\| ready/)
  const second = await env.run(withUid(podManifest('second', [shContainer('b', 'true')])))
  t.equal(second.code, 1, 'refused', { stderr: second.stderr })
  t.match(second.stderr, new RegExp(`^podshim: metadata\\.uid "${uid}" is in use by pod "first" \\(supervisor pid ${first.child.pid}\\)`, 'm'))
  t.notMatch(second.stderr, /^\s+at /m, 'no stack trace')
  t.ok(existsSync(join(env.stateRoot, 'pods', uid, 'pod.json')), 'the running pod\'s state is still there')
  first.child.kill('SIGTERM')
  t.equal((await first.result).code, 0, 'the first pod stops cleanly')
})
