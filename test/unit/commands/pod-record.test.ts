import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
})

t.test('a state root that cannot hold the pod names the directory, with the real errno', async (t) => {
  const { dir, paths } = roots(t)
  writeFileSync(join(dir, 'state'), 'a file where the state root should be')
  t.throws(() => claimPodState(pod('first'), paths, cgroup), { message: `create pod state directory "${paths.stateDir}"`, cause: { code: 'ENOTDIR' } })
})
