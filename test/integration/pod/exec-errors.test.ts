// A container that cannot start never looks like a program that exited:
// its status is terminated/StartError with exit code 128 and a message that
// names the syscall, the path and the errno; `podshim run` exits 127 (not
// found), 126 (not executable) or 125 (any other failure before exec).

import t from 'tap'
import { podEnv, podManifest, type Json } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

interface Case {
  name: string
  container: Json
  runExitCode: number
  message: RegExp[]
  /** a known bug that makes the exit code assertion fail */
}


const CASES: Case[] = [
  {
    name: 'a missing binary',
    container: { command: ['/bin/nope'] },
    runExitCode: 127,
    message: [/execve '\/bin\/nope'/, /ENOENT/],
  },
  {
    name: 'a command not found on PATH',
    container: { command: ['podshim-no-such-command'] },
    runExitCode: 127,
    message: [/execve 'podshim-no-such-command'/, /ENOENT/],
  },
  {
    name: 'a file that is not executable',
    container: { command: ['/etc/passwd'] },
    runExitCode: 126,
    message: [/execve '\/etc\/passwd'/, /EACCES/],
  },
  {
    name: 'a workingDir that is not a directory',
    container: { command: ['true'], workingDir: '/etc/passwd' },
    runExitCode: 125,
    message: [/chdir/, /'\/etc\/passwd'/, /ENOTDIR/],
  },
]

for (const c of CASES) {
  t.test(`${c.name}: StartError, exit code 128, podshim run exits ${c.runExitCode}`, async (t) => {
    const env = podEnv(t)
    const r = await env.run(podManifest('broken', [{ name: 'broken', image: 'podshim/host', ...c.container }]), { args: ['-o', 'json'] })
    t.equal(r.code, c.runExitCode, `podshim run exits ${c.runExitCode}`, { stderr: r.stderr })
    const status = r.status?.containerStatuses?.[0]
    t.match(status?.state?.terminated, { reason: 'StartError', exitCode: 128 }, 'terminated with StartError, exit code 128')
    for (const re of c.message) t.match(status?.state?.terminated?.message, re, `the message has ${re}`)
    t.equal(r.status?.phase, 'Failed', 'the pod failed')
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
  })
}
