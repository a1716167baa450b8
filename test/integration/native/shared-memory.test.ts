// What the spawn's clones may not do to the supervisor whose memory they
// share (native/spawn.cc): leave it not dumpable after a change of ids, or
// lose the child they cloned when the intermediate is killed mid-plan.

import { spawn as spawnProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { nativeApi } from '../../../src/native/addon'
import { PlanOpCode } from '../../../src/native/contract'
import { call, dataTypes } from '../../../src/native/libc'
import { waitMs } from '../pod/fixtures/helpers'
import { execve, plan, runCaptured, spawnChild } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to change ids and make FIFOs')
  process.exit(0)
}

const PR_GET_DUMPABLE = 3

function isDumpable(): boolean {
  const { I32 } = dataTypes()
  return call('prctl', [[I32, PR_GET_DUMPABLE], [I32, 0], [I32, 0], [I32, 0], [I32, 0]]).value === 1
}

t.test('a child that changes its ids leaves the supervisor dumpable', async t => {
  t.ok(isDumpable(), 'dumpable before')
  const [status, output] = await runCaptured(t, [
    { op: PlanOpCode.SetIds, uid: 65534, gid: 65534, groups: [] },
    execve('/bin/sh', ['sh', '-c', 'id -u']),
  ])
  t.same(status, { code: 0, signal: null, coreDumped: false })
  t.equal(output.trim(), '65534', 'the child ran as 65534')
  t.ok(isDumpable(), 'still dumpable after')
})

t.test('a child that sets the ids it already has (root, its groups) shares the memory and leaves the supervisor dumpable', async t => {
  // plan_changes_ids: no credential of the dumpable rule changes, so this plan keeps the shared-memory spawn
  const [status, output] = await runCaptured(t, [
    { op: PlanOpCode.SetIds, uid: 0, gid: 0, groups: [0, 7] },
    execve('/bin/sh', ['sh', '-c', 'id -u; id -G']),
  ])
  t.same(status, { code: 0, signal: null, coreDumped: false })
  t.same(output.trim().split('\n'), ['0', '0 7'], 'root, with the groups the plan gave')
  t.ok(isDumpable(), 'still dumpable after')
})

// A helper process finds the two clones among this process's children by
// the syscall each waits in (/proc/PID/syscall): the intermediate in
// clone3 (435), waiting for the final child, and the final child in openat
// (257) of a FIFO nobody reads. It SIGKILLs the intermediate, then reads
// the FIFO, which lets the final child go on to its execve.
const KILL_INTERMEDIATE = `
const fs = require('fs')
const [parent, fifo, limitMs] = process.argv.slice(1)
const field = (pid, i) => { try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[i] } catch { return '' } }
const waitingIn = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/syscall', 'utf8').split(' ')[0] } catch { return '' } }
const children = () => fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d) && d !== String(process.pid) && field(d, 1) === parent)
let killed = 0
const deadline = Date.now() + Number(limitMs)
while (killed === 0 && Date.now() < deadline) {
  const kids = children()
  const intermediate = kids.find((p) => waitingIn(p) === '435')
  if (intermediate !== undefined && kids.some((p) => waitingIn(p) === '257')) {
    process.kill(Number(intermediate), 'SIGKILL')
    killed = Number(intermediate)
  } else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2)
}
fs.readFileSync(fifo)
process.stdout.write(String(killed))
`

t.test('an intermediate killed while the child runs its plan: the spawn still returns that child', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-fifo-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const fifo = join(dir, 'fifo')
  const { execFileSync } = await import('node:child_process')
  execFileSync('mkfifo', [fifo])

  const helper = spawnProcess(process.execPath, ['-e', KILL_INTERMEDIATE, String(process.pid), fifo, String(waitMs(10_000))], { stdio: ['ignore', 'pipe', 'inherit'] })
  let killedPid = ''
  helper.stdout.on('data', (chunk: Buffer) => { killedPid += chunk.toString() })
  const helperDone = new Promise<void>(resolve => helper.on('close', () => resolve()))
  t.teardown(async () => {
    helper.kill('SIGKILL')
    await helperDone
  })

  // blocks this thread until the final child exec'd or died
  const child = spawnChild(t, plan([
    { op: PlanOpCode.WriteFile, path: fifo, data: 'x' },
    execve('/bin/sleep', ['sleep', '100']),
  ]))
  await helperDone
  t.ok(Number(killedPid) > 0, `the helper killed the intermediate (${killedPid})`)
  t.not(child.pid, Number(killedPid), 'the pid returned is not the intermediate\'s')
  t.equal(readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim(), 'sleep', 'it is the child, past its execve')
  nativeApi.signal(child.pidfd, 9)
  t.same(await child.exited, { code: null, signal: 9, coreDumped: false }, 'and it is ours: watched and reaped')
})
