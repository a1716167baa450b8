// Exit statuses come from waitid(P_PIDFD) on Node's loop: codes, signals,
// many spawns leave nothing behind, and child_process keeps working beside it.

import { spawn as cpSpawn } from 'node:child_process'
import t from 'tap'

import { nativeApi } from '../../../src/native/addon'
import { PlanOpCode, type ExitStatus } from '../../../src/native/contract'
import { SIGKILL, SIGTERM, childrenOfThisProcess, eventually, execve, plan, spawnChild } from './fixtures/helpers'

t.test('an exit code is reported as code', async t => {
  const child = spawnChild(t, plan([execve('/bin/sh', ['sh', '-c', 'exit 7'])]))
  t.same(await child.exited, { code: 7, signal: null, coreDumped: false })
})

t.test('SIGKILL is reported as the signal', async t => {
  const child = spawnChild(t, plan([execve('/bin/sleep', ['sleep', '100'])]))
  nativeApi.signal(child.pidfd, SIGKILL)
  t.same(await child.exited, { code: null, signal: SIGKILL, coreDumped: false })
})

t.test('SIGTERM reaches the child with its default action (Node\'s handlers are not inherited)', async t => {
  const child = spawnChild(t, plan([execve('/bin/sleep', ['sleep', '100'])]))
  nativeApi.signal(child.pidfd, SIGTERM)
  t.same(await child.exited, { code: null, signal: SIGTERM, coreDumped: false })
})

t.test('SIG_IGN is not inherited: SIGPIPE kills the writer again', async t => {
  // Node ignores SIGPIPE; a container must get the default action back.
  const [readFd, writeFd] = nativeApi.pipe()
  nativeApi.close(readFd)
  let child
  try {
    child = spawnChild(t, plan([{ op: PlanOpCode.Dup2, fd: writeFd, target: 1 }, execve('/usr/bin/yes', ['yes'])]))
  } finally {
    nativeApi.close(writeFd)
  }
  t.same(await child.exited, { code: null, signal: 13, coreDumped: false })
})

t.test('a signal after the exit is not an error (ESRCH is swallowed)', async t => {
  const spawned = nativeApi.spawn(plan([execve('/bin/true', ['true'])]))
  t.teardown(() => nativeApi.close(spawned.pidfd))
  const status = await new Promise<ExitStatus>(resolve => nativeApi.watchExit(spawned.pidfd, resolve))
  t.equal(status.code, 0)
  t.doesNotThrow(() => nativeApi.signal(spawned.pidfd, SIGKILL))
})

t.test('a watched child keeps the loop alive', async t => {
  // No timer or other handle is pending here: only the pidfd poll keeps Node waiting.
  const child = spawnChild(t, plan([execve('/bin/sleep', ['sleep', '0.3'])]))
  t.same(await child.exited, { code: 0, signal: null, coreDumped: false })
})

t.test('an exception in onExit goes to uncaughtException', async t => {
  const spawned = nativeApi.spawn(plan([execve('/bin/true', ['true'])]))
  // tap's own listeners go back at teardown, however the test ends
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  let onThrown: (err: Error) => void = () => undefined
  t.teardown(() => {
    process.removeListener('uncaughtException', onThrown)
    for (const listener of listeners) process.on('uncaughtException', listener)
  })
  const seen = new Promise<Error>(resolve => {
    onThrown = resolve
    process.once('uncaughtException', onThrown)
  })
  nativeApi.watchExit(spawned.pidfd, () => {
    nativeApi.close(spawned.pidfd)
    throw new Error('thrown from onExit')
  })
  t.equal((await seen).message, 'thrown from onExit')
})

t.test('200 spawns leave no zombie and no stray process', async t => {
  const exits: Promise<ExitStatus>[] = []
  for (let i = 0; i < 200; i++) {
    exits.push(spawnChild(t, plan([{ op: PlanOpCode.CloseFrom, fd: 3 }, execve('/bin/sh', ['sh', '-c', `exit ${i % 256}`])])).exited)
  }
  const statuses = await Promise.all(exits)
  t.same(statuses.map(s => s.code), statuses.map((_, i) => i % 256))
  t.ok(await eventually(() => childrenOfThisProcess().size === 0), 'no child of this process is left')
})

t.test('child_process.spawn beside podshim spawns: no exit event is lost on either side', async t => {
  const ROUNDS = 60
  const nativeExits: Promise<number | null>[] = []
  const cpExits: Promise<number | null>[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const code = i % 100
    cpExits.push(new Promise((resolve, reject) => {
      const cp = cpSpawn('/bin/sh', ['-c', `exit ${code}`], { stdio: 'ignore' })
      cp.on('error', reject)
      cp.on('exit', resolve)
    }))
    nativeExits.push(spawnChild(t, plan([execve('/bin/sh', ['sh', '-c', `exit ${code}`])])).exited.then(s => s.code))
  }
  const expected = Array.from({ length: ROUNDS }, (_, i) => i % 100)
  t.same(await Promise.all(cpExits), expected, 'every child_process exit arrived with its code')
  t.same(await Promise.all(nativeExits), expected, 'every podshim exit arrived with its code')
  t.ok(await eventually(() => childrenOfThisProcess().size === 0), 'no child of this process is left')
})
