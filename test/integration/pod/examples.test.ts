// Every manifest in examples/ runs as the README says (`podshim run
// examples/<name>.yaml`) and shows what its comments promise: the README's
// first command must work on a fresh machine, and the examples are how
// learners meet podshim.

import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import t, { type Test } from 'tap'
import { containerLines, podEnv, type RunResult } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const EXAMPLES = resolve(__dirname, '../../../examples')

/** What each example's comments say it shows. */
const CHECKS: Record<string, (t: Test, r: RunResult) => void> = {
  'hello.yaml': (t, r) => {
    t.match(containerLines(r.stderr, 'hello').join('\n'), /^hello from hello$/m)
  },
  'shared.yaml': (t, r) => {
    const ns = (container: string): Map<string, string> => new Map(containerLines(r.stderr, container)
      .map((l) => /^(\w+): (\w+:\[\d+\])$/.exec(l)).flatMap((m) => (m === null ? [] : [[m[1], m[2]] as [string, string]])))
    const writer = ns('writer')
    const reader = ns('reader')
    for (const name of ['net', 'ipc', 'uts', 'pid']) t.equal(reader.get(name), writer.get(name), `${name} shared`)
    t.not(reader.get('mnt'), writer.get('mnt'), 'each its own mount namespace')
    t.same(containerLines(r.stderr, 'reader').slice(-3), ['hostname: shared', 'emptyDir: written by the writer', "/dev/shm: in the pod's shared memory"])
  },
  'reaping.yaml': (t, r) => {
    t.match(containerLines(r.stderr, 'parent').join('\n'), /^\s+1\s+0 pause$/m, 'pause is PID 1')
    t.equal(r.stderr.split('\n').filter((l) => /Reaped .*pause reaped orphan process \d+ \(exit code 0\)/.test(l)).length, 3, 'three Reaped events')
  },
  'downward.yaml': (t, r) => {
    t.same(containerLines(r.stderr, 'show'), [
      'pod: downward (app=demo)', 'limits: 500m cpu, 64Mi memory', 'ports: 20000 21000', 'group of a file made in the volume: 2000',
    ])
  },
  'config.yaml': (t, r) => {
    const lines = containerLines(r.stderr, 'show')
    t.equal(lines.length, 6, 'six lines', { lines })
    t.same(lines.filter((l) => !l.startsWith('layout: ')), [
      'env: GREETING=hello CFG_mode=demo PASSWORD=s3cret',
      'file: color=blue size=3',
      'secret: s3cret on tmpfs',
      'labels: app="config-demo" tier="example"',
      'read-only: cannot write in /config',
    ])
    t.match(lines.find((l) => l.startsWith('layout: ')), /^layout: greeting -> \.\.data\/greeting, \.\.data -> \.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/)
  },
  'init-sidecar.yaml': (t, r) => {
    const started = [...r.stderr.matchAll(/Started container (\S+)/g)].map((m) => m[1])
    t.same(started, ['setup', 'helper', 'app'], 'init, then the sidecar, then the app')
    t.same(containerLines(r.stderr, 'app'), ['app read: config made by the init container', 'app: the sidecar runs beside me'])
    t.same(containerLines(r.stderr, 'helper'), ['the sidecar is up', 'TERM: the sidecar stops after the app'])
    const helper = r.status?.initContainerStatuses?.find((s: { name: string }) => s.name === 'helper')
    t.match(helper?.state?.terminated, { exitCode: 0, reason: 'Completed' })
  },
}

t.test('every example has its checks here', async (t) => {
  t.same(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort(), Object.keys(CHECKS).sort())
})

for (const [file, check] of Object.entries(CHECKS)) {
  t.test(`examples/${file} runs and shows what it says`, async (t) => {
    const env = podEnv(t)
    const r = await env.run(null, { file: join(EXAMPLES, file), args: ['-o', 'json'] })
    t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
    t.equal(r.status?.phase, 'Succeeded')
    check(t, r)
  })
}
