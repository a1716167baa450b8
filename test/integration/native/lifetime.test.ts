// Lifetimes across the supervisor: PDEATHSIG kills a child whose supervisor
// died, and a watched child keeps a Node process (`podshim run`) alive.
// The supervisor here is a separate node process using the raw addon.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import t from 'tap'

import { ADDON_PATH } from '../../../src/native/addon'
import { PlanOpCode } from '../../../src/native/contract'
import { eventually, execve, plan, spawnChild } from './fixtures/helpers'
import { waitMs } from '../pod/fixtures/helpers'

function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

function runNode(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: waitMs(10_000), env: { ADDON_PATH } })
}

t.test('PDEATHSIG: the child dies with the supervisor', async t => {
  const output = runNode(`
    const fs = require('fs')
    const addon = require(process.env.ADDON_PATH)
    const nullFd = fs.openSync('/dev/null', 'r+')
    const result = addon.spawn({ cloneFlags: 0, pidNsFd: -1, cgroupFd: -1, ops: [
      { op: ${PlanOpCode.Pdeathsig}, signal: 9, parentPid: process.pid },
      { op: ${PlanOpCode.Dup2}, fd: nullFd, target: 0 },
      { op: ${PlanOpCode.Dup2}, fd: nullFd, target: 1 },
      { op: ${PlanOpCode.Dup2}, fd: nullFd, target: 2 },
      { op: ${PlanOpCode.CloseFrom}, fd: 3 },
      { op: ${PlanOpCode.Execve}, path: '/bin/sleep', argv: ['sleep', '100'], envp: [] },
    ] })
    process.stdout.write(String(result.pid))
    process.exit(0)
  `)
  const pid = Number(output)
  t.ok(pid > 0, `the helper spawned ${output}`)
  t.teardown(() => {
    if (!isGone(pid)) process.kill(pid, 'SIGKILL')
  })
  t.ok(await eventually(() => isGone(pid)), 'the child is gone once its parent exited')
})

t.test('PDEATHSIG: a parentPid that is not the parent means the parent already died', async t => {
  const child = spawnChild(t, plan([
    { op: PlanOpCode.Pdeathsig, signal: 9, parentPid: 1 },
    execve('/bin/sleep', ['sleep', '100']),
  ]))
  t.same(await child.exited, { code: 127, signal: null, coreDumped: false })
})

t.test('PDEATHSIG with a live parent, compared or not, runs the program', async t => {
  for (const parentPid of [process.pid, 0]) {
    const child = spawnChild(t, plan([{ op: PlanOpCode.Pdeathsig, signal: 9, parentPid }, execve('/bin/sh', ['sh', '-c', 'exit 3'])]))
    t.same(await child.exited, { code: 3, signal: null, coreDumped: false }, `parentPid ${parentPid}`)
  }
})

t.test('a watched child alone keeps the Node process running until it exits', async t => {
  const output = runNode(`
    const addon = require(process.env.ADDON_PATH)
    const result = addon.spawn({ cloneFlags: 0, pidNsFd: -1, cgroupFd: -1, ops: [
      { op: ${PlanOpCode.CloseFrom}, fd: 3 },
      { op: ${PlanOpCode.Execve}, path: '/bin/sh', argv: ['sh', '-c', 'sleep 0.3; exit 4'], envp: [] },
    ] })
    addon.watchExit(result.pidfd, status => process.stdout.write(JSON.stringify(status)))
  `)
  t.same(JSON.parse(output), { code: 4, signal: null, coreDumped: false })
})
