// Everything the bench creates is registered here and undone on every way
// out (normal end, error, Ctrl-C/TERM): child processes by pid, tmpfs mounts
// a killed podshim left under the bench's own temp root, the bench's own
// `podshim-bench-*` cgroups, and the temp root itself. Nothing outside those
// is touched: no pkill, no unmount or rmdir outside what the bench made.
'use strict'
const { execFileSync } = require('node:child_process')
const { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')

const KILL_WAIT_MS = 3000

/** Mount points from /proc/self/mountinfo (octal escapes decoded). */
function mountPoints() {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((line) => line.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))))
}

function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

class Cleanup {
  constructor() {
    this.pids = new Set()
    this.tempRoots = []
    /** directories that are cgroups the bench named podshim-bench-*, removed bottom-up */
    this.cgroups = []
    this.isDone = false
  }

  addPid(pid) { if (pid) this.pids.add(pid) }
  dropPid(pid) { this.pids.delete(pid) }
  addTempRoot(dir) { this.tempRoots.push(dir) }

  addCgroup(dir) {
    if (!/\/podshim-bench-[^/]+$/.test(dir)) throw new Error(`refusing to own cgroup "${dir}": not a podshim-bench-* cgroup`)
    this.cgroups.push(dir)
  }

  /** Synchronous, so it also runs from the 'exit' handler. Returns what it could not undo. */
  run() {
    if (this.isDone) return []
    this.isDone = true
    const problems = []
    for (const pid of this.pids) { try { process.kill(pid, 'SIGTERM') } catch { /* already gone */ } }
    const deadline = Date.now() + KILL_WAIT_MS
    while ([...this.pids].some(isAlive) && Date.now() < deadline) sleepSync(50)
    for (const pid of this.pids) {
      if (!isAlive(pid)) continue
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
    for (const dir of this.cgroups) this.removeCgroupTree(dir, problems)
    for (const root of this.tempRoots) this.removeTempRoot(root, problems)
    return problems
  }

  removeCgroupTree(dir, problems) {
    if (!existsSync(dir)) return
    // processes a killed run left behind: cgroup.kill (Linux 5.14) on our own cgroup only
    try { if (existsSync(join(dir, 'cgroup.kill'))) writeFileSync(join(dir, 'cgroup.kill'), '1') } catch { /* v1 or gone */ }
    const walk = (d) => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
      for (let i = 0; i < 20; i++) {
        try { rmdirSync(d); return } catch (err) {
          if (err.code === 'ENOENT') return
          if (err.code !== 'EBUSY' || i === 19) { problems.push(`rmdir cgroup "${d}": ${err.code}`); return }
          sleepSync(50)
        }
      }
    }
    try { walk(dir) } catch (err) { problems.push(`remove cgroup "${dir}": ${err.message}`) }
  }

  removeTempRoot(root, problems) {
    if (!existsSync(root)) return
    const under = () => mountPoints().filter((m) => m === root || m.startsWith(root + '/'))
    // deepest first; only mounts under the bench's own temp root (a killed podshim's /dev/shm tmpfs)
    for (const m of under().sort((a, b) => b.length - a.length)) {
      try { execFileSync('umount', ['-l', m], { stdio: 'ignore' }) } catch { problems.push(`umount "${m}" failed`) }
    }
    const left = under()
    if (left.length > 0) {
      problems.push(`kept "${root}": still mounted: ${left.join(', ')}`)
      return
    }
    try {
      if (statSync(root).isDirectory()) rmSync(root, { recursive: true, force: true })
    } catch (err) {
      problems.push(`remove "${root}": ${err.message}`)
    }
  }

  /** Run on exit, error and the first SIGINT/SIGTERM (then exit 130/143). */
  install() {
    process.on('exit', () => this.report(this.run()))
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
      process.on(signal, () => {
        process.stderr.write(`\nbench: ${signal}: cleaning up\n`)
        this.report(this.run())
        process.exit(code)
      })
    }
  }

  report(problems) {
    for (const p of problems) process.stderr.write(`bench: cleanup: ${p}\n`)
  }
}

module.exports = { Cleanup, mountPoints, isAlive, sleepSync }
