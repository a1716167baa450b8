import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

import { claimPodState } from '../../../src/commands/pod-record'
import { loadPod } from '../../../src/spec'

const pod = (name: string) => loadPod(`{apiVersion: v1, kind: Pod, metadata: {name: ${name}, uid: u-1}, spec: {containers: [{name: c, image: i}]}}`, 'test', { newUid: () => 'unused' }).pod

function roots(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-record-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return { dir, paths: { stateDir: join(dir, 'state/pods/u-1'), dataDir: join(dir, 'data/pods/u-1') } }
}

const cgroup = { cgroupRoot: '/sys/fs/cgroup', cgroupParent: 'podshim', cgroupParentLevelsMade: ['podshim'] }

t.test('the record names everything a later cleanup needs, before anything else exists', async (t) => {
  const { paths } = roots(t)
  claimPodState(pod('first'), paths, cgroup)
  const record = JSON.parse(readFileSync(join(paths.stateDir, 'pod.json'), 'utf8'))
  t.match(record, { uid: 'u-1', name: 'first', namespace: 'default', supervisorPid: process.pid, ...cgroup, ...paths })
  t.match(record.supervisorStartTime, /^\d+$/, 'its start time, so a reused pid is not taken for it')
})

t.test('a second claim of one uid is refused by name, and leaves the first pod\'s record alone', async (t) => {
  const { paths } = roots(t)
  claimPodState(pod('first'), paths, cgroup)
  const before = readFileSync(join(paths.stateDir, 'pod.json'), 'utf8')
  t.throws(() => claimPodState(pod('second'), paths, cgroup), {
    message: `metadata.uid "u-1" is in use by pod "first" (supervisor pid ${process.pid}): run this manifest with another metadata.uid, or none (podshim then makes one)`,
  })
  t.equal(readFileSync(join(paths.stateDir, 'pod.json'), 'utf8'), before)
  t.same(readdirSync(dirname(paths.stateDir)), ['u-1'], 'its claim is gone')
})

t.test('the pod directory appears with its whole record: made as a claim named after its supervisor, then renamed', async (t) => {
  const { paths } = roots(t)
  const renames: Array<{ from: string; to: string; record: unknown; wasThere: boolean }> = []
  const mocked = t.mockRequire<typeof import('../../../src/commands/pod-record')>('../../../src/commands/pod-record', {
    'node:fs': {
      ...fs,
      renameSync: (from: string, to: string) => {
        renames.push({ from, to, record: JSON.parse(readFileSync(join(from, 'pod.json'), 'utf8')), wasThere: fs.existsSync(to) })
        fs.renameSync(from, to)
      },
    },
  })
  mocked.claimPodState(pod('first'), paths, cgroup)
  t.equal(renames.length, 1, 'one rename')
  t.match(renames[0], { to: paths.stateDir, wasThere: false, record: { uid: 'u-1', supervisorPid: process.pid, ...paths } })
  t.match(basename(renames[0].from), new RegExp(`^\\.claim-${process.pid}-\\d+-u-1$`), 'the claim names its maker by pid and start time')
  t.same(readdirSync(dirname(paths.stateDir)), ['u-1'], 'no claim is left')
})

t.test('a record that cannot be written (a full disk) leaves no claim and no pod directory', async (t) => {
  const { paths } = roots(t)
  const mocked = t.mockRequire<typeof import('../../../src/commands/pod-record')>('../../../src/commands/pod-record', {
    'node:fs': { ...fs, writeFileSync: () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) } },
  })
  t.throws(() => mocked.claimPodState(pod('first'), paths, cgroup), { message: `write pod record "${join(paths.stateDir, 'pod.json')}"`, cause: { code: 'ENOSPC' } })
  t.same(readdirSync(dirname(paths.stateDir)), [])
})

t.test('a pod directory of the uid without its record (its pod ending) refuses the uid, saying so', async (t) => {
  const { paths } = roots(t)
  mkdirSync(join(paths.stateDir, 'etc'), { recursive: true })
  t.throws(() => claimPodState(pod('first'), paths, cgroup), { message: `metadata.uid "u-1" is in use: ${paths.stateDir} is there without its pod record` })
  t.same(readdirSync(dirname(paths.stateDir)), ['u-1'], 'its claim is gone')
})

t.test('a state root that cannot hold the pod names the directory, with the real errno', async (t) => {
  const { dir, paths } = roots(t)
  writeFileSync(join(dir, 'state'), 'a file where the state root should be')
  t.throws(() => claimPodState(pod('first'), paths, cgroup), { message: `create pod state directory "${paths.stateDir}"`, cause: { code: 'ENOTDIR' } })
})
