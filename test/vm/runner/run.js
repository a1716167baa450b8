#!/usr/bin/env node
'use strict'
// The VM test tier: boots a stock Debian 12 kernel in qemu with a pure
// cgroup v2 hierarchy, node and the built project in an initramfs, runs the
// VM tests there with tap, shows their TAP output live and exits with their
// exit code. See docs/vm.md.
//
//   node test/vm/runner/run.js [options] [test files, relative to the repo]
//
//   --integration        also run test/integration/** in the VM
//   --only-integration   run test/integration/** alone
//   --ts                 ship the TypeScript and let tap's ts-node loader
//                        compile in the VM (slow under emulation); the default
//                        compiles the tests on the host first
//   --keep               keep the built initramfs (.vm-cache/initrd/last.img)
//   --prepare            fetch and build everything, do not boot
//
// Environment: PODSHIM_VM_TIMEOUT (whole boot, seconds, default 2400),
// PODSHIM_VM_TEST_TIMEOUT (one test file in the VM, seconds, default 900),
// PODSHIM_VM_MEMORY (default 4G), PODSHIM_VM_CPUS (default 2),
// PODSHIM_VM_ACCEL (default tcg,thread=multi), PODSHIM_VM_CPU (default
// Haswell-noTSX), PODSHIM_VM_MODULES (default: see DEFAULT_MODULES),
// PODSHIM_VM_DISK (size of the ext4 scratch disk for /tmp, default 8G; 0: tmpfs),
// PODSHIM_VM_CACHE (default <repo>/.vm-cache), PODSHIM_VM_INTEGRATION=1 (as
// --integration), PODSHIM_VM_REFRESH=1 (ask apt for a newer kernel).
//
// Everything it fetches comes from Debian's archive through apt: qemu (an apt
// install on the host), and the kernel and busybox-static packages
// (downloaded with apt-get download and unpacked into the cache, not
// installed). The node binary is the one running this script.

const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const zlib = require('node:zlib')
const { spawn, spawnSync, execFileSync } = require('node:child_process')
const { CpioWriter } = require('./cpio.js')

const REPO = path.resolve(__dirname, '../../..')
const env = process.env
const CACHE = path.resolve(env.PODSHIM_VM_CACHE || path.join(REPO, '.vm-cache'))
const MARKER = /^PODSHIM-VM-RESULT (\d+)\s*$/
const HOST_PACKAGES = ['qemu-system-x86'] // host tools, installed with apt-get
const GUEST_PACKAGES = { busybox: 'busybox-static', kernel: 'linux-image-amd64' } // unpacked only

// overlay: image rootfs; loop, veth, bridge: what a pod may use; ext4 and
// virtio_blk (+ crc32c for ext4's checksums): the scratch disk for /tmp.
const DEFAULT_MODULES = 'overlay loop veth bridge crc32c_generic ext4 virtio_pci virtio_blk'

const t0 = Date.now()
const secs = (since) => ((Date.now() - since) / 1000).toFixed(1) + 's'
const log = (msg) => process.stderr.write(`[vm ${secs(t0)}] ${msg}\n`)
const die = (msg, code = 1) => {
  log(`error: ${msg}`)
  process.exit(code)
}

function parseArgs (argv) {
  const o = {
    integration: env.PODSHIM_VM_INTEGRATION === '1',
    onlyIntegration: env.PODSHIM_VM_ONLY_INTEGRATION === '1',
    ts: env.PODSHIM_VM_TS === '1',
    keep: false,
    prepare: false,
    files: []
  }
  for (const a of argv) {
    if (a === '--integration') o.integration = true
    else if (a === '--only-integration') o.onlyIntegration = true
    else if (a === '--ts') o.ts = true
    else if (a === '--keep') o.keep = true
    else if (a === '--prepare') o.prepare = true
    else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split("\n").slice(2, 29)
        .map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n')
      process.exit(0)
    } else if (a.startsWith('-')) die(`unknown option ${a}`, 2)
    else o.files.push(a)
  }
  return o
}

// ---------------------------------------------------------------- host tools

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0

let aptUpdated = false
function aptUpdate () {
  if (aptUpdated) return
  log('apt-get update')
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'] })
  aptUpdated = true
}

function ensureHostTools () {
  if (have('qemu-system-x86_64')) return
  if (process.getuid() !== 0) {
    die(`qemu-system-x86_64 is missing: apt-get install -y ${HOST_PACKAGES.join(' ')}`)
  }
  aptUpdate()
  log(`apt-get install ${HOST_PACKAGES.join(' ')}`)
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...HOST_PACKAGES], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }
  })
}

/** apt-get download pkg into dir; returns the .deb's path. */
function aptDownload (pkg, dir) {
  fs.mkdirSync(dir, { recursive: true })
  const run = () => spawnSync('apt-get', ['download', '-qq', pkg], { cwd: dir, encoding: 'utf8' })
  let r = run()
  if (r.status !== 0 && !aptUpdated) {
    aptUpdate()
    r = run()
  }
  if (r.status !== 0) die(`apt-get download ${pkg} failed:\n${r.stderr}`)
  const debs = fs.readdirSync(dir).filter((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'))
  if (debs.length === 0) die(`apt-get download ${pkg}: no .deb in ${dir}`)
  return path.join(dir, debs.sort().pop())
}

function aptShowField (pkg, field) {
  const run = () => spawnSync('apt-cache', ['show', '--no-all-versions', pkg], { encoding: 'utf8' })
  let r = run()
  if (r.status !== 0 || !r.stdout.trim()) {
    aptUpdate()
    r = run()
  }
  const m = r.stdout.match(new RegExp(`^${field}: (.*)$`, 'm'))
  if (!m) die(`apt-cache show ${pkg}: no ${field} (is Debian's archive in apt's sources?)`)
  return m[1]
}

function unpackDeb (deb, dir) {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  execFileSync('dpkg-deb', ['-x', deb, dir])
}

// ---------------------------------------------------------------- guest parts

function ensureBusybox () {
  const dir = path.join(CACHE, 'busybox')
  const bin = path.join(dir, 'busybox')
  if (fs.existsSync(bin)) return bin
  const t = Date.now()
  const deb = aptDownload(GUEST_PACKAGES.busybox, path.join(CACHE, 'debs'))
  const tmp = path.join(CACHE, 'tmp-busybox')
  unpackDeb(deb, tmp)
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(path.join(tmp, 'bin/busybox'), bin)
  fs.chmodSync(bin, 0o755)
  fs.writeFileSync(path.join(dir, 'from'), path.basename(deb) + '\n')
  fs.rmSync(tmp, { recursive: true, force: true })
  log(`busybox-static from ${path.basename(deb)} (${secs(t)})`)
  return bin
}

/** Reads the depends= entry of a .ko's modinfo section. */
function moduleDepends (ko) {
  const m = fs.readFileSync(ko).toString('latin1').match(/(?:^|\0)depends=([^\0]*)\0/)
  return m && m[1] ? m[1].split(',').filter(Boolean) : []
}

/**
 * The kernel (vmlinuz) and the modules the guest loads, in load order,
 * unpacked from Debian's linux-image package. Cached per module list.
 */
function ensureKernel (wanted) {
  const kdir = path.join(CACHE, 'kernel')
  const stampFile = path.join(kdir, 'kernel.json')
  let stamp = fs.existsSync(stampFile) ? JSON.parse(fs.readFileSync(stampFile, 'utf8')) : null
  const want = [...wanted].sort().join(' ')
  if (stamp && env.PODSHIM_VM_REFRESH === '1') {
    const pkg = aptShowField(GUEST_PACKAGES.kernel, 'Depends').split(/,\s*/)
      .map((d) => d.split(' ')[0]).find((d) => /^linux-image-\d/.test(d))
    if (pkg !== stamp.pkg) stamp = null
  }
  if (stamp && stamp.wanted === want) return stamp
  const t = Date.now()
  let deb = stamp && stamp.deb && fs.existsSync(stamp.deb) ? stamp.deb : null
  if (!deb) {
    // linux-image-amd64 is the metapackage; the kernel is in the versioned
    // package it depends on (linux-image-6.1.0-NN-amd64 on Debian 12).
    const meta = aptDownload(GUEST_PACKAGES.kernel, path.join(CACHE, 'debs'))
    const depends = execFileSync('dpkg-deb', ['-f', meta, 'Depends'], { encoding: 'utf8' })
    const pkg = depends.split(/,\s*/).map((d) => d.split(' ')[0]).find((d) => /^linux-image-\d/.test(d))
    if (!pkg) die(`${meta}: no linux-image-<version> in Depends: ${depends}`)
    deb = aptDownload(pkg, path.join(CACHE, 'debs'))
  }
  const pkg = execFileSync('dpkg-deb', ['-f', deb, 'Package'], { encoding: 'utf8' }).trim()
  const tmp = path.join(CACHE, 'tmp-kernel')
  unpackDeb(deb, tmp)
  const vmlinuz = fs.readdirSync(path.join(tmp, 'boot')).find((f) => f.startsWith('vmlinuz-'))
  const release = vmlinuz.slice('vmlinuz-'.length)
  const mroot = path.join(tmp, 'lib/modules', release)
  const byName = new Map()
  for (const rel of fs.readFileSync(path.join(mroot, 'modules.order'), 'utf8').split('\n').filter(Boolean)) {
    byName.set(path.basename(rel).replace(/\.ko(\.[a-z]+)?$/, '').replace(/-/g, '_'), rel)
  }
  const builtin = new Set(fs.readFileSync(path.join(mroot, 'modules.builtin'), 'utf8').split('\n')
    .filter(Boolean).map((rel) => path.basename(rel).replace(/\.ko$/, '').replace(/-/g, '_')))
  const order = []
  const visit = (name, chain) => {
    name = name.replace(/-/g, '_')
    if (builtin.has(name) || order.includes(name)) return
    if (chain.includes(name)) die(`module dependency loop: ${[...chain, name].join(' -> ')}`)
    const rel = byName.get(name)
    if (!rel) die(`kernel ${release} has no module ${name}`)
    if (!rel.endsWith('.ko')) die(`module ${rel} is compressed; busybox insmod needs a plain .ko`)
    for (const dep of moduleDepends(path.join(mroot, rel))) visit(dep, [...chain, name])
    order.push(name)
  }
  for (const m of wanted) visit(m, [])
  fs.rmSync(kdir, { recursive: true, force: true })
  fs.mkdirSync(path.join(kdir, 'modules'), { recursive: true })
  fs.copyFileSync(path.join(tmp, 'boot', vmlinuz), path.join(kdir, 'vmlinuz'))
  const modules = order.map((name) => {
    const rel = byName.get(name)
    fs.copyFileSync(path.join(mroot, rel), path.join(kdir, 'modules', name + '.ko'))
    return { name, guestPath: `/lib/modules/${release}/${rel}` }
  })
  fs.rmSync(tmp, { recursive: true, force: true })
  stamp = { pkg, deb, release, wanted: want, modules }
  fs.writeFileSync(stampFile, JSON.stringify(stamp, null, 2) + '\n')
  log(`kernel ${release} from ${path.basename(deb)}, modules: ${order.join(' ') || 'none'} (${secs(t)})`)
  return stamp
}

/** Shared libraries (and the loader) that ldd lists for an ELF file. */
function lddLibs (file) {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' })
  if (r.status !== 0) return [] // static, or not ELF
  const libs = []
  for (const line of r.stdout.split('\n')) {
    const m = line.match(/=>\s+(\/\S+)/) || line.match(/^\s*(\/\S+)\s+\(/)
    if (m) libs.push(m[1])
  }
  return libs
}

// The guest has Debian 12's merged /usr: /bin, /sbin, /lib and /lib64 are
// symlinks into /usr, as on the host and in the Vagrant box (tests that
// build a root from /usr alone rely on that).
const MERGED = ['bin', 'sbin', 'lib', 'lib64']
const inUsr = (p) => p.replace(/^\/*(bin|sbin|lib|lib64)\//, 'usr/$1/').replace(/^\/+/, '')

/** Adds a library at its ldd path (content of the real file behind it). */
function addLib (w, lib) {
  if (w.seen.has(inUsr(lib))) return
  w.copy(lib, inUsr(lib), { follow: true })
}

const MIN_ETC = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n',
  'etc/hosts': '127.0.0.1 localhost\n127.0.1.1 podshim-vm\n::1 localhost ip6-localhost ip6-loopback\n',
  'etc/hostname': 'podshim-vm\n',
  'etc/resolv.conf': '# the podshim VM guest has no network beyond loopback\n',
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files\n',
  'etc/os-release': 'NAME="podshim VM test guest"\nID=podshim-vm\n'
}

function writeArchive (file, build, gzip) {
  const chunks = []
  const w = new CpioWriter((b) => chunks.push(b))
  build(w)
  w.end()
  const raw = Buffer.concat(chunks)
  fs.writeFileSync(file, gzip ? zlib.gzipSync(raw, { level: 1 }) : raw)
  return { entries: w.entries, bytes: raw.length }
}

/** The part of the initramfs that changes only with node, busybox, the kernel or /init. */
function ensureBaseInitrd (busybox, kernel, gzip) {
  const node = process.execPath
  const nodeSt = fs.statSync(node)
  const initSh = fs.readFileSync(path.join(__dirname, 'init.sh'))
  const key = crypto.createHash('sha256').update(JSON.stringify([
    node, nodeSt.size, nodeSt.mtimeMs, fs.readFileSync(path.join(CACHE, 'busybox/from'), 'utf8'),
    kernel, initSh.toString(), MIN_ETC, gzip, fs.readFileSync(path.join(__dirname, 'cpio.js'), 'utf8')
  ])).digest('hex').slice(0, 16)
  const dir = path.join(CACHE, 'initrd')
  const file = path.join(dir, `base-${key}.img`)
  if (fs.existsSync(file)) return file
  const t = Date.now()
  fs.mkdirSync(dir, { recursive: true })
  for (const f of fs.readdirSync(dir)) if (f.startsWith('base-')) fs.rmSync(path.join(dir, f))
  const { entries, bytes } = writeArchive(file + '.tmp', (w) => {
    for (const d of MERGED) {
      w.dir(`usr/${d}`)
      w.symlink(d, `usr/${d}`)
    }
    for (const d of ['usr/local/bin', 'etc',
      'proc', 'sys', 'dev', 'tmp', 'run', 'root', 'newroot', 'mnt', 'var/tmp', 'etc/podshim-vm']) {
      w.dir(d, d === 'tmp' || d === 'var/tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755)
    }
    w.chardev('dev/console', 5, 1, 0o600)
    w.chardev('dev/null', 1, 3, 0o666)
    w.copy(busybox, 'usr/bin/busybox')
    const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean)
    for (const a of applets) {
      if (!w.seen.has(inUsr(a))) w.symlink(inUsr(a), '/usr/bin/busybox')
    }
    w.copy(node, 'usr/bin/node', { follow: true })
    for (const lib of lddLibs(node)) addLib(w, lib)
    for (const [name, text] of Object.entries(MIN_ETC)) w.data(name, text)
    for (const m of kernel.modules) {
      w.copy(path.join(CACHE, 'kernel/modules', m.name + '.ko'), inUsr(m.guestPath))
    }
    w.data('etc/podshim-vm/modules', kernel.modules.map((m) => m.guestPath).join('\n') + '\n')
    w.data('init', initSh, 0o755)
  }, gzip)
  fs.renameSync(file + '.tmp', file)
  log(`base initramfs: ${entries} entries, ${(bytes / 1048576).toFixed(0)} MiB (${secs(t)})`)
  return file
}

// ---------------------------------------------------------------- the project

/** The package directories node would load, starting from the root's names. */
function dependencyClosure (rootNames, leaveOut = new Set()) {
  const dirs = new Set()
  const missing = []
  const resolve = (name, fromDir) => {
    for (let d = fromDir; ; d = path.dirname(d)) {
      const cand = path.join(d, 'node_modules', name)
      if (fs.existsSync(path.join(cand, 'package.json'))) return cand
      if (d === REPO || d === path.dirname(d)) return null
    }
  }
  const queue = rootNames.map((n) => [n, REPO, false])
  while (queue.length) {
    const [name, from, optional] = queue.shift()
    if (leaveOut.has(name)) continue
    const dir = resolve(name, from)
    if (!dir) {
      if (!optional) missing.push(`${name} (from ${path.relative(REPO, from) || 'the root'})`)
      continue
    }
    if (dirs.has(dir)) continue
    dirs.add(dir)
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    for (const n of Object.keys(pkg.dependencies || {})) queue.push([n, dir, false])
    for (const n of Object.keys(pkg.optionalDependencies || {})) queue.push([n, dir, true])
    // peers come along where they are installed (ts-node's typescript)
    for (const n of Object.keys(pkg.peerDependencies || {})) queue.push([n, dir, true])
  }
  return { dirs: [...dirs].sort(), missing }
}

// What the guest never needs from a package: maps, type declarations, docs.
const USELESS = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.md|\.markdown|LICENSE[^/]*|CHANGELOG[^/]*)$/i

function compileTests () {
  // Incremental: outputs and build info stay in the cache; a .js whose .ts
  // is gone is never shipped (buildProjectInitrd checks the source exists).
  const out = path.join(CACHE, 'tsbuild')
  const t = Date.now()
  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, '../tsconfig.json'), '--outDir', out,
    '--incremental', '--tsBuildInfoFile', path.join(CACHE, 'tsbuild.tsbuildinfo')],
  { cwd: REPO, encoding: 'utf8' })
  if (!fs.existsSync(out)) die(`tsc emitted nothing:\n${r.stdout}${r.stderr}`)
  if (r.status !== 0) {
    // Type errors are the typecheck script's business; the emitted JS still runs.
    const errors = (r.stdout.match(/error TS\d+/g) || []).length
    log(`tsc reported ${errors} type error(s); running the emitted JS anyway:\n` +
      r.stdout.split('\n').filter((l) => /error TS/.test(l)).slice(0, 10).join('\n'))
  }
  log(`compiled src/ and test/ to JS on the host (${secs(t)})`)
  return out
}

/**
 * The host tools listed in test/vm/guest-files, with their libraries: an
 * archive of its own, cached until the list or a listed file changes.
 */
function ensureToolsInitrd (gzip) {
  let guestFiles = [
    ...fs.readFileSync(path.join(__dirname, '../guest-files'), 'utf8').split('\n'),
    ...(env.PODSHIM_VM_GUEST_FILES || '').split(/\s+/)
  ].map((l) => l.replace(/#.*/, '').trim())
  const guestExcludes = guestFiles.filter((l) => l.startsWith('-/')).map((l) => l.slice(1))
  guestFiles = guestFiles.filter((l) => l.startsWith('/'))
  const present = guestFiles.filter((f) => fs.existsSync(f))
  const missingGuestFiles = guestFiles.filter((f) => !fs.existsSync(f))
  if (missingGuestFiles.length) log(`warning: not on this host, so not in the guest: ${missingGuestFiles.join(' ')}`)
  // the key: every listed file's size and mtime (a stat walk, no reads)
  const hash = crypto.createHash('sha256').update(JSON.stringify([guestFiles, guestExcludes, gzip,
    lddLibs(process.execPath), fs.readFileSync(path.join(__dirname, 'cpio.js'), 'utf8')]))
  const walk = (p) => {
    if (guestExcludes.includes(p)) return
    const st = fs.statSync(p)
    hash.update(`${p}:${st.size}:${st.mtimeMs}\n`)
    if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(`${p}/${e}`)
  }
  present.forEach(walk)
  const file = path.join(CACHE, 'initrd', `tools-${hash.digest('hex').slice(0, 16)}.img`)
  if (fs.existsSync(file)) return file
  const t = Date.now()
  for (const f of fs.readdirSync(path.dirname(file))) if (f.startsWith('tools-')) fs.rmSync(path.join(path.dirname(file), f))
  const nativeFiles = []
  const { entries, bytes } = writeArchive(file + '.tmp', (w) => {
    for (const f of present) {
      w.copy(f, inUsr(f), {
        follow: true,
        skip: (r, st) => {
          if (guestExcludes.includes(`${f}/${r}`)) return true
          // shared objects inside a tree (python's lib-dynload) bring their libraries too
          if (st.isFile() && /\.so(\.|$)/.test(r)) nativeFiles.push(`${f}/${r}`)
          return false
        }
      })
      if (fs.statSync(f).isFile()) nativeFiles.push(f)
    }
    const inBase = new Set(lddLibs(process.execPath))
    for (const f of nativeFiles) for (const lib of lddLibs(f)) if (!inBase.has(lib)) addLib(w, lib)
  }, gzip)
  fs.renameSync(file + '.tmp', file)
  log(`tools initramfs (test/vm/guest-files): ${present.length} paths, ${entries} entries, ` +
    `${(bytes / 1048576).toFixed(0)} MiB (${secs(t)})`)
  return file
}

function buildProjectInitrd (opts, gzip) {
  const t = Date.now()
  const tsbuild = opts.ts ? null : compileTests()
  if (!fs.existsSync(path.join(REPO, 'dist'))) {
    log('warning: dist/ is missing (npm run build has not run); tests that need the CLI will fail')
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'))
  const roots = [...Object.keys(pkg.dependencies || {}), ...Object.keys(pkg.optionalDependencies || {}), 'tap']
  if (opts.ts) roots.push('typescript')
  // Compiled mode runs no TypeScript in the guest, but tap still puts
  // @tapjs/typescript's import hook (ts-node, which loads all of typescript)
  // in front of every test process: 5-8 s each under emulation. The guest
  // gets a no-op in its place, and neither ts-node nor typescript.
  const overrides = new Map()
  const leaveOut = new Set()
  if (!opts.ts) {
    overrides.set('podshim/node_modules/@tapjs/typescript/dist/esm/import.mjs',
      '// podshim VM guest: no TypeScript runs here (test/vm/runner/run.js compiled it)\nexport {}\n')
    leaveOut.add('@isaacs/ts-node-temp-fork-for-pr-2009').add('typescript')
  }
  const closure = dependencyClosure(roots, leaveOut)
  if (closure.missing.length) log(`warning: not installed: ${closure.missing.join(', ')}`)
  const nativeFiles = []
  const file = path.join(CACHE, 'initrd', 'project.img')
  const testFiles = opts.files.map((f) => {
    let rel = path.relative(REPO, path.resolve(f))
    if (!opts.ts) rel = rel.replace(/\.(c|m)?ts$/, (_, c) => `.${c || ''}js`)
    return rel
  })
  const runSh = [
    '# written by test/vm/runner/run.js for this run',
    `export PODSHIM_VM_INTEGRATION=${opts.integration ? 1 : 0}`,
    `export PODSHIM_VM_ONLY_INTEGRATION=${opts.onlyIntegration ? 1 : 0}`,
    `export PODSHIM_VM_TEST_TIMEOUT=${Number(env.PODSHIM_VM_TEST_TIMEOUT) || 900}`,
    '# software emulation: wall-clock waits in tests should scale by this',
    `export PODSHIM_VM_EMULATED=1 PODSHIM_TEST_TIME_SCALE=${Number(env.PODSHIM_TEST_TIME_SCALE) || 10}`,
    `export PODSHIM_VM_JOBS=${Number(env.PODSHIM_VM_JOBS) || Number(env.PODSHIM_VM_CPUS) || 2}`,
    env.PODSHIM_VM_CMD
      ? env.PODSHIM_VM_CMD // a debugging hook: any shell command instead of the tests
      : `exec sh /podshim/test/vm/runner/inside.sh ${testFiles.map((f) => `'${f}'`).join(' ')}`,
    ''
  ].join('\n')
  const { entries, bytes } = writeArchive(file, (w) => {
    const P = 'podshim'
    const skipUseless = (rel) => USELESS.test(rel)
    for (const f of ['package.json', '.taprc', 'tsconfig.json']) {
      if (fs.existsSync(path.join(REPO, f))) w.copy(path.join(REPO, f), `${P}/${f}`)
    }
    for (const d of ['bin', 'dist', 'examples']) {
      if (fs.existsSync(path.join(REPO, d))) w.copy(path.join(REPO, d), `${P}/${d}`, { skip: (rel) => rel.endsWith('.map') })
    }
    // the addon and the native executables, not the object files
    const rel = path.join(REPO, 'build/Release')
    if (fs.existsSync(rel)) {
      w.copy(rel, `${P}/build/Release`, {
        skip: (r, st) => r === 'obj.target' || r === '.deps' || r.endsWith('.d') || r.startsWith('obj') ||
          (st.isFile() && !r.endsWith('.node') && !(st.mode & 0o111))
      })
      for (const f of fs.readdirSync(rel)) if (/\.node$/.test(f)) nativeFiles.push(path.join(rel, f))
    }
    // node_modules: the runtime dependencies and tap, each package without
    // its own nested node_modules (those come in as packages of their own)
    for (const dir of closure.dirs) {
      const relDir = path.relative(REPO, dir)
      w.copy(dir, `${P}/${relDir}`, {
        skip: (r, st) => (st.isDirectory() && (r === 'node_modules' || r.endsWith('/node_modules'))) ||
          skipUseless(r) || overrides.has(`${P}/${relDir}/${r}`)
      })
      const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          if (e.name === 'node_modules') continue
          if (e.isDirectory()) walk(path.join(d, e.name))
          else if (e.isFile() && e.name.endsWith('.node')) nativeFiles.push(path.join(d, e.name))
        }
      }
      walk(dir)
    }
    // src/ and test/: compiled JS (or the TypeScript itself with --ts), plus
    // every other file under test/ (fixtures, the runner's shell scripts)
    if (tsbuild) {
      for (const d of ['src', 'test']) {
        if (fs.existsSync(path.join(tsbuild, d))) {
          w.copy(path.join(tsbuild, d), `${P}/${d}`, {
            skip: (r, st) => st.isFile() && /\.(c|m)?js$/.test(r) &&
              !fs.existsSync(path.join(REPO, d, r.replace(/js$/, 'ts')))
          })
        }
      }
    } else {
      w.copy(path.join(REPO, 'src'), `${P}/src`)
    }
    w.copy(path.join(REPO, 'test'), `${P}/test`, {
      skip: (r, st) => (tsbuild && st.isFile() && /\.(c|m)?ts$/.test(r)) ||
        (st.isFile() && w.seen.has(`${P}/test/${r}`)) || r === 'vm/tsconfig.json'
    })
    // libraries the native addons link against beyond node's own
    const inBase = new Set(lddLibs(process.execPath))
    for (const f of nativeFiles) for (const lib of lddLibs(f)) if (!inBase.has(lib)) addLib(w, lib)
    for (const [name, text] of overrides) w.data(name, text)
    w.data('etc/podshim-vm/run.sh', runSh, 0o755)
  }, gzip)
  log(`project initramfs: ${closure.dirs.length} packages, ${nativeFiles.length} native addon(s), ` +
    `${entries} entries, ${(bytes / 1048576).toFixed(0)} MiB (${secs(t)})`)
  return file
}

// ---------------------------------------------------------------- boot

/**
 * A fresh ext4 scratch disk for the guest's /tmp. tmpfs on 6.1 has no user.*
 * xattrs (they came in 6.6) and a disk-backed /tmp is what the host and the
 * Vagrant box have. Sparse, made anew each run (no journal: it is scratch).
 * PODSHIM_VM_DISK=0 gives a tmpfs /tmp instead.
 */
function scratchDisk () {
  const size = env.PODSHIM_VM_DISK ?? '8G'
  if (size === '0') return null
  if (!have('mkfs.ext4')) {
    log('warning: no mkfs.ext4 (e2fsprogs) on this host: the guest gets a tmpfs /tmp')
    return null
  }
  const file = path.join(CACHE, 'scratch.img')
  fs.rmSync(file, { force: true })
  execFileSync('truncate', ['-s', size, file])
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', 'podshim-tmp', '-O', '^has_journal',
    '-E', 'lazy_itable_init=1,nodiscard', file])
  return file
}

function boot (kernel, initrd, disk) {
  const timeout = Number(env.PODSHIM_VM_TIMEOUT) || 2400
  const args = [
    '-accel', env.PODSHIM_VM_ACCEL || 'tcg,thread=multi',
    '-cpu', env.PODSHIM_VM_CPU || 'Haswell-noTSX',
    '-m', env.PODSHIM_VM_MEMORY || '4G',
    '-smp', String(Number(env.PODSHIM_VM_CPUS) || 2),
    '-nographic', '-no-reboot', '-no-user-config',
    '-nic', 'none', // no network device at all: nothing leaves the guest
    '-kernel', path.join(CACHE, 'kernel/vmlinuz'),
    '-initrd', initrd,
    ...(disk ? ['-drive', `file=${disk},format=raw,if=virtio,cache=unsafe`] : []),
    '-append', ['console=ttyS0', 'quiet', 'panic=-1', 'rdinit=/init', 'cgroup_no_v1=all',
      'tsc=reliable', env.PODSHIM_VM_APPEND || ''].join(' ').trim()
  ]
  log(`booting ${kernel.release} in qemu (${args.slice(0, 8).join(' ')}), timeout ${timeout}s`)
  const tBoot = Date.now()
  return new Promise((resolve) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const tail = []
    let partial = ''
    let result = null
    let killedFor = null
    const keep = (line) => {
      tail.push(line)
      if (tail.length > 60) tail.shift()
    }
    const kill = (why) => {
      if (killedFor || qemu.exitCode !== null) return
      killedFor = why
      qemu.kill('SIGTERM')
      setTimeout(() => { if (qemu.exitCode === null) qemu.kill('SIGKILL') }, 5000).unref()
    }
    qemu.stdout.setEncoding('utf8')
    qemu.stdout.on('data', (chunk) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop()
      for (let line of lines) {
        // serial line ends are \r\n; SeaBIOS and the kernel send terminal resets
        line = line.replace(/\r/g, '').replace(/\x1b(\[[0-9;?]*[a-zA-Z]|[@-Z\\-_]|c)/g, '')
        keep(line)
        const m = line.match(MARKER)
        if (m) {
          result = Number(m[1])
          log(`guest finished with exit code ${result} (${secs(tBoot)} after boot started)`)
          // poweroff -f ends qemu at once; if it does not, do not wait long
          setTimeout(() => kill('shutdown'), 15000).unref()
        } else {
          process.stdout.write(line + '\n')
        }
      }
    })
    let errPartial = ''
    qemu.stderr.on('data', (chunk) => {
      const lines = (errPartial + chunk.toString('utf8')).split('\n')
      errPartial = lines.pop()
      for (const line of lines) {
        // TCG lacks a few of Haswell's features and says so for each at start
        if (line && !/TCG doesn't support requested feature/.test(line)) process.stderr.write(`[qemu] ${line}\n`)
      }
    })
    const timer = setTimeout(() => kill('timeout'), timeout * 1000)
    const onSignal = (sig) => {
      log(`${sig}: stopping qemu (pid ${qemu.pid})`)
      kill(sig)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    qemu.on('error', (e) => die(`cannot start qemu: ${e.message}`))
    qemu.on('close', (code, signal) => {
      clearTimeout(timer)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      if (partial) keep(partial)
      if (result !== null) return resolve(result)
      if (killedFor === 'SIGINT' || killedFor === 'SIGTERM') return resolve(130)
      const why = killedFor === 'timeout'
        ? `timed out after ${timeout}s (PODSHIM_VM_TIMEOUT)`
        : `qemu exited (${signal || code}) without a result line: kernel panic, or /init died`
      log(`error: ${why}; last console lines:\n${tail.slice(-40).map((l) => '  | ' + l).join('\n')}`)
      resolve(killedFor === 'timeout' ? 124 : 1)
    })
  })
}

async function main () {
  const opts = parseArgs(process.argv.slice(2))
  if (process.arch !== 'x64') die(`the VM tier boots an amd64 kernel; this node is ${process.arch}`)
  fs.mkdirSync(CACHE, { recursive: true })
  const gzip = env.PODSHIM_VM_GZIP === '1'
  ensureHostTools()
  const busybox = ensureBusybox()
  const modules = (env.PODSHIM_VM_MODULES ?? DEFAULT_MODULES).split(/[\s,]+/).filter(Boolean)
  const kernel = ensureKernel(modules)
  const base = ensureBaseInitrd(busybox, kernel, gzip)
  const tools = ensureToolsInitrd(gzip)
  const project = buildProjectInitrd(opts, gzip)
  // The kernel unpacks concatenated archives one after the other.
  const initrd = path.join(CACHE, 'initrd', 'last.img')
  fs.writeFileSync(initrd, Buffer.concat([base, tools, project].map((f) => fs.readFileSync(f))))
  if (opts.prepare) {
    log(`prepared ${path.relative(REPO, initrd)}`)
    return 0
  }
  const disk = scratchDisk()
  const code = await boot(kernel, initrd, disk)
  if (!opts.keep) fs.rmSync(initrd, { force: true })
  if (disk) fs.rmSync(disk, { force: true })
  log(`done: exit code ${code} (total ${secs(t0)})`)
  return code
}

main().then((code) => process.exit(code), (e) => die(e.stack || String(e)))
