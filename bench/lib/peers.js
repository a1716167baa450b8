// The OCI runtimes podshim is compared with: crun and runc running `true` in
// a bundle equivalent to the `podshim/host` image (read-only binds of the
// host's /usr, /etc, /opt under a root of /usr symlinks, tmpfs /tmp and
// /run, the same PID/NET/IPC/UTS/mount namespaces).
//
// crun refuses this host's hybrid cgroup layout even with
// --cgroup-manager=disabled, so it runs from crun-server.js, a Node process
// started by `unshare -m --propagation private` that hides the cgroup2 mount
// under a tmpfs in its own mount namespace only. runc works as it is; its
// cgroup is a relative `podshim-bench-*` path (under the bench's own cgroup
// in each hierarchy), which runc removes when the container is gone.
'use strict'
const { execFileSync, spawn } = require('node:child_process')
const { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync, readFileSync } = require('node:fs')
const { join } = require('node:path')
const { createInterface } = require('node:readline')

function which(cmd) {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd)
  }
  return null
}

/** The runtime's path, installing the Debian package if allowed; else { missing: reason }. */
function ensureRuntime(name, canInstall, log) {
  let path = which(name)
  if (path !== null) return { path }
  const how = `apt-get update && apt-get install -y ${name}`
  if (!canInstall) return { missing: `${name} is not installed (install it with \`${how}\`, or drop --no-install)` }
  log(`bench: ${name} missing: running \`${how}\``)
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] })
    execFileSync('apt-get', ['install', '-y', '-qq', name], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
  } catch (err) {
    return { missing: `${name} is not installed and \`${how}\` failed (${err.message.split('\n')[0]})` }
  }
  path = which(name)
  return path !== null ? { path } : { missing: `${name} still not found after \`${how}\`` }
}

/** A rootfs dir with the host's top-level /usr symlinks (merged /usr) and empty mount points. */
function makeRootfs(dir) {
  mkdirSync(dir, { recursive: true })
  for (const d of ['usr', 'etc', 'opt', 'proc', 'dev', 'sys', 'tmp', 'run', 'root', 'var']) mkdirSync(join(dir, d), { recursive: true })
  for (const d of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const host = `/${d}`
    if (!existsSync(host)) continue
    const st = lstatSync(host)
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(host), join(dir, d))
    else mkdirSync(join(dir, d))
  }
}

/** The host directories bound read-only into the bundle: the podshim/host image's system dirs. */
function hostBinds() {
  return ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt']
    .filter((d) => existsSync(d) && !lstatSync(d).isSymbolicLink())
}

/** `<runtime> spec` edited: args ["true"], no terminal, rootfs with host binds; cgroupsPath if given. */
function makeBundle(runtimePath, dir, rootfs, cgroupsPath) {
  mkdirSync(dir, { recursive: true })
  execFileSync(runtimePath, ['spec'], { cwd: dir, stdio: 'ignore' })
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  config.process.terminal = false
  config.process.args = ['true']
  config.root = { path: rootfs, readonly: true }
  config.hostname = 'bench'
  // no cgroup mount inside: podshim's containers get none either on this host
  config.mounts = config.mounts.filter((m) => m.destination !== '/sys/fs/cgroup')
  for (const d of hostBinds()) config.mounts.push({ destination: d, type: 'bind', source: d, options: ['rbind', 'ro', 'nosuid', 'nodev'] })
  for (const d of ['/tmp', '/run']) config.mounts.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] })
  if (cgroupsPath !== undefined) config.linux.cgroupsPath = cgroupsPath
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  return dir
}

/**
 * Starts crun-server.js in a private mount namespace. Resolves an object
 * whose run() times one `crun run` there (ms) and close() ends the server.
 */
function startCrunServer({ crunPath, bundle, stateDir, idPrefix, cleanup }) {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', process.execPath, join(__dirname, 'crun-server.js'), crunPath, bundle, stateDir, idPrefix], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    cleanup.addPid(child.pid)
    const lines = createInterface({ input: child.stdout })
    const waiting = []
    let isReady = false
    lines.on('line', (line) => {
      let msg
      try { msg = JSON.parse(line) } catch { return }
      if (!isReady) {
        isReady = true
        if (msg.error) return reject(new Error(`crun server: ${msg.error}`))
        return resolve({
          run: () => new Promise((res, rej) => {
            waiting.push({ res, rej })
            child.stdin.write('run\n')
          }),
          close: () => new Promise((res) => {
            child.once('close', () => { cleanup.dropPid(child.pid); res() })
            child.stdin.end()
          }),
        })
      }
      const w = waiting.shift()
      if (w === undefined) return
      if (msg.error) w.rej(new Error(`crun run: ${msg.error}`))
      else w.res(msg.ms)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      cleanup.dropPid(child.pid)
      if (!isReady) reject(new Error(`crun server exited ${code} before it was ready`))
      for (const w of waiting.splice(0)) w.rej(new Error(`crun server exited ${code}`))
    })
  })
}

/**
 * Where a relative cgroupsPath `name` lands for a process in the bench's own
 * cgroups: `<mount>/<own path>/<name>` in every v1 hierarchy and in cgroup2.
 */
function relativeCgroupDirs(name) {
  const own = new Map()
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean)) {
    const [, controllers, path] = line.split(':')
    own.set(controllers, path)
  }
  const dirs = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [head, tail] = line.split(' - ')
    if (tail === undefined) continue
    const [fstype, , options] = tail.split(' ')
    const mountPoint = head.split(' ')[4]
    if (fstype === 'cgroup2' && own.has('')) dirs.push(join(mountPoint, own.get(''), name))
    if (fstype !== 'cgroup') continue
    for (const [controllers, path] of own) {
      if (controllers !== '' && controllers.split(',').every((c) => options.split(',').includes(c))) dirs.push(join(mountPoint, path, name))
    }
  }
  return dirs
}

module.exports = { relativeCgroupDirs, ensureRuntime, makeRootfs, makeBundle, startCrunServer }
