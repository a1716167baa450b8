// Runs inside `unshare -m --propagation private`: hides a hybrid host's
// cgroup2 mount (/sys/fs/cgroup/unified) under a tmpfs in this private mount
// namespace only, so crun --cgroup-manager=disabled accepts the host, then
// times one `crun run` per "run" line on stdin, answering one JSON line each.
// It times crun exactly as bench/lib/timing.js times every other row.
// Usage: crun-server.js CRUN BUNDLE STATE_DIR ID_PREFIX
'use strict'
const { execFileSync } = require('node:child_process')
const { readFileSync, readlinkSync } = require('node:fs')
const { createInterface } = require('node:readline')
const { timeOnce } = require('./timing')

const [crun, bundle, stateDir, idPrefix] = process.argv.slice(2)
const say = (msg) => process.stdout.write(JSON.stringify(msg) + '\n')

function cgroup2Mounts() {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' - ')).filter(([, tail]) => tail?.startsWith('cgroup2 ')).map(([head]) => head.split(' ')[4])
}

function setup() {
  // never on the host's namespace: the parent (the bench) must be in another one
  if (readlinkSync('/proc/self/ns/mnt') === readlinkSync(`/proc/${process.ppid}/ns/mnt`)) {
    throw new Error('not in a private mount namespace: refusing to mount')
  }
  const hidden = cgroup2Mounts().filter((m) => m !== '/sys/fs/cgroup')
  for (const m of hidden) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k', 'tmpfs', m])
  return hidden
}

async function main() {
  try {
    setup()
  } catch (err) {
    say({ error: err.message })
    process.exitCode = 1
    return
  }
  say({ ready: true })
  let i = 0
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'run') continue
    const argv = [crun, '--root', stateDir, '--cgroup-manager=disabled', 'run', '--bundle', bundle, `${idPrefix}-${i++}`]
    try {
      const r = await timeOnce(argv)
      say(r.code === 0 ? { ms: r.ms } : { error: `exited ${r.code ?? r.signal}: ${r.stderr.trim()}` })
    } catch (err) {
      say({ error: err.message })
    }
  }
}

void main()
