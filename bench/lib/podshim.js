// podshim as the bench runs it: manifests, the `podshim run` argv with the
// bench's own state/log/data roots and cgroup parent, and the pause memory
// probe (VmRSS of pause in a running pod, and its cgroup leaf's
// memory.current where cgroup2 has the memory controller).
'use strict'
const { spawn } = require('node:child_process')
const { existsSync, readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { randomUUID } = require('node:crypto')

const REPO = join(__dirname, '..', '..')
const PODSHIM_BIN = join(REPO, 'bin', 'podshim')

/** What `npm run build` makes; the bench cannot measure without it. */
function missingBuild() {
  return ['build/Release/podshim_native.node', 'build/Release/pause', 'dist/cli.js', 'build/podshim.bundle.json'].filter((p) => !existsSync(join(REPO, p)))
}

/** argv of podshim without its start-up bundle: node on dist/bin.js, as bin/podshim runs it where there is none. */
function withoutBundle(argv) {
  return [process.execPath, join(REPO, 'dist', 'bin.js'), ...argv.slice(1)]
}

/** A one-pod manifest (JSON is YAML) running `containers` of podshim/host. */
function writeManifest(file, { name, uid, containers }) {
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: uid === undefined ? { name } : { name, uid },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: containers.map((command, i) => ({ name: `c${i}`, image: 'podshim/host', command })),
    },
  }, null, 2))
  return file
}

/** argv of `podshim run -q FILE` with the bench's own roots (bin/podshim: from the start-up bundle where there is one). */
function runArgv(manifest, roots) {
  return [PODSHIM_BIN, 'run', '-q',
    '--state-root', roots.state, '--log-root', roots.log, '--data-root', roots.data,
    '--cgroup-parent', roots.cgroupParent, manifest]
}

/** The cgroup2 mount point, from /proc/self/mountinfo (hybrid hosts: /sys/fs/cgroup/unified). */
function cgroup2Root() {
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [head, tail] = line.split(' - ')
    if (tail?.startsWith('cgroup2 ')) return head.split(' ')[4]
  }
  return null
}

function statusFields(pid) {
  const fields = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line)
    if (m) fields[m[1]] = Number(m[2])
  }
  fields.Name = /^Name:\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return fields
}

/**
 * Starts `podshim run` of a pod whose one container sleeps, waits for
 * pause.pid, lets pause settle, reads its memory, then stops the pod with
 * SIGTERM (by pid) and waits for podshim to exit.
 */
async function measurePause({ dir, roots, cleanup, settleMs = 300, timeoutMs = 15000 }) {
  const uid = randomUUID()
  const manifest = writeManifest(join(dir, 'pause-pod.json'), { name: 'bench-pause', uid, containers: [['sleep', '30']] })
  const argv = runArgv(manifest, roots)
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  cleanup.addPid(child.pid)
  let stderr = ''
  child.stderr.on('data', (c) => { stderr += c })
  const closed = new Promise((resolve) => child.on('close', (code, signal) => { cleanup.dropPid(child.pid); resolve({ code, signal }) }))
  try {
    const pidFile = join(roots.state, 'pods', uid, 'pause.pid')
    const deadline = Date.now() + timeoutMs
    while (!existsSync(pidFile)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pause.pid never appeared (podshim: ${stderr.trim() || 'no output'})`)
      await new Promise((r) => setTimeout(r, 20))
    }
    await new Promise((r) => setTimeout(r, settleMs))
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    const status = statusFields(pid)
    const cg2 = cgroup2Root()
    const leaf = cg2 === null ? null : join(cg2, roots.cgroupParent, uid, '_pause')
    const controllers = cg2 === null ? [] : readFileSync(join(cg2, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean)
    let memoryCurrent = null
    let memoryNote
    if (cg2 === null) memoryNote = 'no cgroup2 mount on this host'
    else if (!controllers.includes('memory')) memoryNote = `memory controller not in cgroup v2 here (${cg2}/cgroup.controllers: "${controllers.join(' ')}"; memory is bound to v1)`
    else if (leaf !== null && existsSync(join(leaf, 'memory.current'))) memoryCurrent = Number(readFileSync(join(leaf, 'memory.current'), 'utf8'))
    else memoryNote = `no memory.current in ${leaf}`
    return { pid, name: status.Name, vmRssKiB: status.VmRSS, rssAnonKiB: status.RssAnon, rssFileKiB: status.RssFile, rssShmemKiB: status.RssShmem, memoryCurrent, memoryNote }
  } finally {
    try { process.kill(child.pid, 'SIGTERM') } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ } }, 10000)
    await closed
    clearTimeout(timer)
  }
}

module.exports = { REPO, PODSHIM_BIN, missingBuild, writeManifest, runArgv, withoutBundle, cgroup2Root, measurePause }
