// pause reaps every orphan of the pod: a container orphans hundreds of short
// children, then scans /proc (of the pod's PID namespace) for zombies; each
// reap shows up as a Reaped event in podshim's output.

import t from 'tap'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const ORPHANS = 300

const ORPHANER = [
  // each subshell exits at once, so its sleep is re-parented to PID 1 (pause)
  `i=0; while [ $i -lt ${ORPHANS} ]; do (sleep 0.01 &); i=$((i+1)); done`,
  'sleep 1',
  // field 3 of /proc/<pid>/stat is the state; comm (field 2) has no spaces here
  'echo "zombies=$(cat /proc/[0-9]*/stat 2>/dev/null | awk "\\$3 == \\"Z\\"" | wc -l)"',
  'echo "processes=$(ls -d /proc/[0-9]* | wc -l)"',
].join('; ')

t.test(`a container that orphans ${ORPHANS} children leaves no zombie`, async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('orphans', [shContainer('orphaner', ORPHANER)]))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'orphaner'))
  t.equal(seen.get('zombies'), '0', 'no process in the pod is a zombie')
  t.ok(Number(seen.get('processes')) < 10, `only the pod's own few processes are left (${seen.get('processes')})`)
  const reaped = r.stderr.split('\n').filter((l) => /\bReaped\b.*pause reaped orphan process \d+ \(exit code 0\)/.test(l))
  t.ok(reaped.length >= ORPHANS, `a Reaped event for each orphan (${reaped.length} of ${ORPHANS})`)
})
