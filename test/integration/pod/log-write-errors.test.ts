// A container log that cannot be written: the disk fills up, or the pod's
// log directory is read-only (a read-only log root is refused before the
// run: state-roots.test.ts). As containerd does, podshim drains the
// container's output on (it still reaches the terminal, unless -q), says
// once what failed, and the pod runs to its own end: the supervisor neither
// dies nor hangs. The file systems are small tmpfs mounts this test makes
// and unmounts itself.

import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CriLogWriter } from '../../../src/logs/cri-log'
import { containerLines, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to mount a tmpfs and create namespaces and cgroups')
  process.exit(0)
}

/** A tmpfs of this test's own (options as mount -o takes them), at dir or a new one, unmounted and removed at teardown. */
function tmpfs(t: Test, options: string, dir = mkdtempSync(join(tmpdir(), 'podshim-logfs-'))): string {
  mkdirSync(dir, { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
    } catch {
      // not mounted: a throw here would skip the harness's teardown
    }
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

t.test('a record cut short by a full disk does not swallow the next one', async (t) => {
  const dir = tmpfs(t, 'size=8k')
  // one of the two pages taken: a record longer than a page is written in part, then ENOSPC
  writeFileSync(join(dir, 'filler'), Buffer.alloc(4096))
  const errors: Error[] = []
  const w = new CriLogWriter(join(dir, 'c'), 0, (err) => errors.push(err))
  w.write('stdout', Buffer.from('y'.repeat(6000) + '\n'))
  t.equal((errors[0]?.cause as NodeJS.ErrnoException | undefined)?.code, 'ENOSPC', 'the disk is full')
  unlinkSync(join(dir, 'filler'))
  w.write('stdout', Buffer.from('after\n'))
  w.close()
  const lines = readFileSync(w.path, 'latin1').split('\n')
  t.match(lines.at(-2), /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F after$/, 'the next record is a line of its own')
  t.equal(lines.at(-1), '', 'and ends the file')
})

t.test('a log root that fills up: the pod runs to its end, its output on the terminal, one warning', async (t) => {
  const env = podEnv(t)
  const logRoot = tmpfs(t, 'size=64k')
  const r = await env.run(podManifest('full', [shContainer('c', 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i + 1)); done; echo done')]), {
    args: ['--log-root', logRoot],
  })
  t.equal(r.code, 0, 'the pod succeeded', { stderr: r.stderr.slice(-3000) })
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('podshim: warning: write container log'))
  t.equal(warnings.length, 1, 'one warning', { warnings })
  t.match(warnings[0], /"[^"]*\/c\/0\.log": ENOSPC: no space left on device, write \(the container runs on; its output still reaches the terminal\)$/, 'naming the file and the error')
  t.equal(containerLines(r.stdout, 'c').at(-1), 'done', 'every line reached the terminal')
  t.equal(containerLines(r.stdout, 'c').length, 3001)
  t.match(r.stderr, /pod "full" Succeeded/)
})

t.test('with -q the warning does not say the output reaches the terminal: -q shows none', async (t) => {
  const env = podEnv(t)
  const logRoot = tmpfs(t, 'size=64k')
  const r = await env.run(podManifest('full-quiet', [shContainer('c', 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i + 1)); done')]), {
    args: ['--log-root', logRoot, '-q'],
  })
  t.equal(r.code, 0, 'the pod succeeded', { stderr: r.stderr.slice(-3000) })
  t.equal(r.stdout, '', 'no container output')
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('podshim: warning: write container log'))
  t.equal(warnings.length, 1, 'one warning', { warnings })
  t.match(warnings[0], /: ENOSPC: no space left on device, write \(the container runs on; with -q its output is not shown either\)$/)
})

t.test('a read-only pod log directory: the pod runs to its end and the warning names the real error', async (t) => {
  const env = podEnv(t)
  const uid = '0a1b2c3d-0000-4000-8000-0000000010a9'
  // the log root is writable (it is checked before the run); the pod's own directory in it is not
  const podLogs = tmpfs(t, 'ro,size=64k', join(env.logRoot, `default_ro-log_${uid}`))
  const manifest = podManifest('ro-log', [shContainer('c', 'echo hello')])
  const r = await env.run({ ...manifest, metadata: { name: 'ro-log', uid } }, { timeoutMs: 10_000 })
  t.equal(r.code, 0, 'the pod succeeded', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'c'), ['hello'])
  t.match(r.stderr, `podshim: warning: open container log "${podLogs}/c/0.log": EROFS: read-only file system, mkdir '${podLogs}/c' (the container runs on; its output still reaches the terminal)`)
})
