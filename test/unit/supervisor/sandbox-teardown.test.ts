// The end of a pod's state directory: renamed to a claim of its supervisor
// and then removed, so no run sees the pod's directory without its record
// while it goes; kept, record and all, when an earlier step of the teardown
// failed, for a later run's stale-pod cleanup to finish.
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

import type { NativeApi } from '../../../src/native/contract'
import type { PodCgroup } from '../../../src/cgroup/pod-cgroup'
import { loadPod } from '../../../src/spec'

const UID = 'u-teardown'
const pod = loadPod(`{apiVersion: v1, kind: Pod, metadata: {name: p, uid: ${UID}}, spec: {containers: [{name: c, image: i}]}}`, 'test', { newUid: () => 'unused' }).pod

function podDirs(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-teardown-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const paths = { stateDir: join(dir, 'state/pods', UID), dataDir: join(dir, 'data/pods', UID) }
  mkdirSync(join(paths.stateDir, 'containers/c'), { recursive: true })
  writeFileSync(join(paths.stateDir, 'pod.json'), '{}\n')
  mkdirSync(paths.dataDir, { recursive: true })
  return paths
}

function sandboxModule(t: Test, renames: Array<{ from: string; to: string; hadRecord: boolean }>) {
  return t.mockRequire<typeof import('../../../src/supervisor/pod-sandbox')>('../../../src/supervisor/pod-sandbox', {
    'node:fs': {
      ...fs,
      renameSync: (from: string, to: string) => {
        renames.push({ from, to, hadRecord: fs.existsSync(join(from, 'pod.json')) })
        fs.renameSync(from, to)
      },
    },
  })
}

const cgroupThat = (remove: () => void) => ({ remove }) as unknown as PodCgroup

t.test('the state directory goes as a claim named after its supervisor, its record whole until the rename', async (t) => {
  const paths = podDirs(t)
  const renames: Array<{ from: string; to: string; hadRecord: boolean }> = []
  const { PodSandbox } = sandboxModule(t, renames)
  const errors = await new PodSandbox({} as NativeApi, pod, paths, cgroupThat(() => undefined), '/pause').teardown()
  t.same(errors, [])
  t.equal(renames.length, 1, 'one rename')
  t.match(renames[0], { from: paths.stateDir, hadRecord: true })
  t.equal(dirname(renames[0].to), dirname(paths.stateDir), 'beside the pod directories')
  t.match(basename(renames[0].to), new RegExp(`^\\.claim-${process.pid}-\\d+-${UID}$`), 'named by pid, start time and uid')
  t.same(readdirSync(dirname(paths.stateDir)), [], 'nothing is left of it')
  t.notOk(fs.existsSync(paths.dataDir), 'nor of the data directory')
})

t.test('a teardown step that failed (the cgroup) leaves the state directory and its record, for a later cleanup', async (t) => {
  const paths = podDirs(t)
  const renames: Array<{ from: string; to: string; hadRecord: boolean }> = []
  const { PodSandbox } = sandboxModule(t, renames)
  const busy = Object.assign(new Error('EBUSY: resource busy, rmdir'), { code: 'EBUSY' })
  const errors = await new PodSandbox({} as NativeApi, pod, paths, cgroupThat(() => { throw busy }), '/pause').teardown()
  t.same(errors, [busy], 'the failure is returned')
  t.same(renames, [], 'no claim is made')
  t.ok(fs.existsSync(join(paths.stateDir, 'pod.json')), 'the record stays')
})

t.test('a state directory already gone is no error', async (t) => {
  const paths = podDirs(t)
  rmSync(paths.stateDir, { recursive: true })
  const { PodSandbox } = sandboxModule(t, [])
  t.same(await new PodSandbox({} as NativeApi, pod, paths, cgroupThat(() => undefined), '/pause').teardown(), [])
})
