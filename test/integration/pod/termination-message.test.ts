// Termination messages as kubelet reports them, read from the final v1
// PodStatus of `-o json`: the file at terminationMessagePath (any absolute
// path, its missing directories made), and with FallbackToLogsOnError the
// tail of the log (80 lines, 2048 bytes) of a container that failed and
// left the file empty.

import t, { type Test } from 'tap'
import { podEnv, podManifest, shContainer, type Json } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const FALLBACK = { terminationMessagePolicy: 'FallbackToLogsOnError' }

/** containerStatuses by name, from a run of the pod with -o json */
async function statuses(t: Test, name: string, containers: Json[]): Promise<Map<string, any>> {
  const env = podEnv(t)
  const r = await env.run(podManifest(name, containers), { args: ['-o', 'json'] })
  t.ok(r.status !== undefined, 'a JSON status', { stdout: r.stdout, stderr: r.stderr })
  return new Map((r.status?.containerStatuses ?? []).map((c: any) => [c.name, c]))
}

const messageOf = (c: any): unknown => c?.state?.terminated?.message

t.test('terminationMessagePath: the file is bound at any absolute path, its directories made', async (t) => {
  const s = await statuses(t, 'msg-path', [
    shContainer('custom', 'printf "custom path" > /tmp/msg', { terminationMessagePath: '/tmp/msg' }),
    shContainer('deep', 'printf "made dirs" > /srv/a/b/msg; exit 4', { terminationMessagePath: '/srv/a/b/msg' }),
    shContainer('nonroot', 'printf "as uid $(id -u)" > /tmp/msg', { terminationMessagePath: '/tmp/msg', securityContext: { runAsUser: 1000 } }),
    shContainer('default', 'printf "default path" > /dev/termination-log'),
  ])
  t.equal(messageOf(s.get('custom')), 'custom path')
  t.match(s.get('deep')?.state?.terminated, { exitCode: 4 })
  t.equal(messageOf(s.get('deep')), 'made dirs', 'parents made in the root')
  t.equal(messageOf(s.get('nonroot')), 'as uid 1000', 'writable by a user other than root (mode 0666)')
  t.equal(messageOf(s.get('default')), 'default path', '/dev/termination-log as before')
})

t.test('FallbackToLogsOnError: a failed container with an empty file gets its log\'s last 80 lines, 2048 bytes', async (t) => {
  const s = await statuses(t, 'msg-fallback', [
    shContainer('lines', 'for i in $(seq 1 100); do echo "line $i"; done; exit 3', FALLBACK),
    shContainer('long', 'echo first; head -c 3000 /dev/zero | tr "\\0" x; echo; printf "no newline"; exit 1', FALLBACK),
    // $$ is the manifest's escape of $ (kubelet's $(VAR) expansion): the shell gets $$, its own pid
    shContainer('killed', 'echo "about to die" >&2; kill -9 $$$$', { ...FALLBACK, terminationMessagePath: '/tmp/msg' }),
  ])
  const expected = Array.from({ length: 80 }, (_, i) => `line ${i + 21}\n`).join('')
  t.match(s.get('lines')?.state?.terminated, { exitCode: 3, reason: 'Error' })
  t.equal(messageOf(s.get('lines')), expected, 'lines 21..100, the CRI prefixes left out')
  const long = messageOf(s.get('long')) as string
  t.equal(long, `${'x'.repeat(2048 - 1 - 'no newline'.length)}\nno newline`, 'the last 2048 bytes, a partial last line as it came')
  t.match(s.get('killed')?.state?.terminated, { exitCode: 137 })
  t.equal(messageOf(s.get('killed')), 'about to die\n', 'a signal is a failure too (stderr counts)')
})

t.test('FallbackToLogsOnError: not when the container succeeds, nor over the file\'s content', async (t) => {
  const s = await statuses(t, 'msg-nofallback', [
    shContainer('ok', 'echo all good', FALLBACK),
    shContainer('file', 'echo from the log; printf "from the file" > /tmp/msg; exit 2', { ...FALLBACK, terminationMessagePath: '/tmp/msg' }),
  ])
  t.match(s.get('ok')?.state?.terminated, { exitCode: 0, reason: 'Completed' })
  t.equal(messageOf(s.get('ok')), undefined, 'no message on success')
  t.match(s.get('file')?.state?.terminated, { exitCode: 2 })
  t.equal(messageOf(s.get('file')), 'from the file', 'the file wins')
})

t.test('File policy: the file\'s message, never the log', async (t) => {
  const s = await statuses(t, 'msg-file', [
    shContainer('written', 'echo from the log; printf "from /tmp/msg" > /tmp/msg; exit 1', { terminationMessagePath: '/tmp/msg' }),
    shContainer('empty', 'echo from the log; exit 1', { terminationMessagePath: '/tmp/msg', terminationMessagePolicy: 'File' }),
  ])
  t.equal(messageOf(s.get('written')), 'from /tmp/msg')
  t.match(s.get('empty')?.state?.terminated, { exitCode: 1, reason: 'Error' })
  t.equal(messageOf(s.get('empty')), undefined, 'a failure with an empty file has no message')
})
