// The image part of `npm run bench` (issue 5): a pod started from an image
// already in the store, against crun on the same unpacked rootfs, and the
// cost of the overlay root per container. Called once from run.js; prints
// its own section and never fails the rest of the bench (what it cannot
// measure goes to `skipped`).
//
// The image is a one-layer busybox (Debian's busybox-static and applet
// links, packed with GNU tar into an OCI layout) loaded into the bench's
// data root with `podshim image pull oci:…`; pods name it with
// imagePullPolicy Never, so nothing is fetched while timing. crun runs
// `true` with its root on a copy of the store's unpacked layer (read-only,
// with the mount points crun needs; the store itself is never written).
//
// Rows (interleaved round-robin like run.js, spawn → exit, medians):
//   crun run (image rootfs)       crun on the copy of the layer
//   podshim run image ×1 / ×N     a pod of 1 / N containers `true` of the image
//   podshim run host ×1 / ×N      the same pods of podshim/host
// and, from untimed runs of the ×N pods, each further container's Created →
// Started as podshim's own events stamp it (ms): the overlay root's cost
// seen from inside, where whole-pod wall times are too noisy for a few ms.
// Per-container overlay cost: ((image×N − image×1) − (host×N − host×1)) / (N − 1),
// what one more container costs from the image beyond one from the host view
// (its overlay mount and upper/work dirs, the cached resolve, teardown).
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const { createHash } = require('node:crypto')
const { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const { timeOk, summarize } = require('./lib/timing')
const { makeBundle, startCrunServer } = require('./lib/peers')
const { PODSHIM_BIN } = require('./lib/podshim')

const BUSYBOX = '/bin/busybox'
const APPLETS = ['sh', 'true', 'echo', 'cat', 'ls', 'sleep']
const CONTAINERS_N = 8

const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : '—')
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—')
const out = (line = '') => process.stdout.write(line + '\n')
const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`

function writeBlob(layout, data) {
  const digest = sha256(data)
  writeFileSync(join(layout, 'blobs/sha256', digest.slice(7)), data)
  return { digest, size: data.length }
}

/** An OCI layout with one uncompressed busybox layer, tagged `busybox`. */
function writeBusyboxLayout(dir) {
  const rootfs = join(dir, 'busybox-rootfs')
  mkdirSync(join(rootfs, 'bin'), { recursive: true })
  mkdirSync(join(rootfs, 'tmp'), { mode: 0o1777 })
  cpSync(BUSYBOX, join(rootfs, 'bin/busybox'))
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a))
  const layout = join(dir, 'busybox-layout')
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true })
  const tar = execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-C', rootfs, '-cf', '-', '.'], { maxBuffer: 64 << 20 })
  const layer = writeBlob(layout, tar)
  const config = writeBlob(layout, Buffer.from(JSON.stringify({
    architecture: process.arch === 'x64' ? 'amd64' : process.arch, os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })))
  const manifest = writeBlob(layout, Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })))
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'busybox' } }] }))
  return { image: `oci:${layout}:busybox`, diffId: layer.digest }
}

function podManifest(file, name, image, count) {
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image, imagePullPolicy: 'Never', command: ['true'] })),
    },
  }))
  return file
}

function runArgv(manifest, roots, isQuiet = true) {
  return [PODSHIM_BIN, 'run', ...(isQuiet ? ['-q'] : []), '--state-root', roots.state, '--log-root', roots.log,
    '--data-root', roots.data, '--cgroup-parent', roots.cgroupParent, manifest]
}

/**
 * Created → Started of each container but the first (which pays one-time
 * costs), from the event lines `podshim run` prints (millisecond stamps):
 * the start of one container, its overlay mount included or not.
 */
function eventStarts(argv, env) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
  if (r.status !== 0) throw new Error(`podshim run exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop()}`)
  const text = r.stdout + r.stderr // events go to stderr when stdout is not a terminal
  const stamp = (hms) => { const [h, m, s] = hms.split(':').map(Number); return ((h * 60 + m) * 60 + s) * 1000 }
  const created = new Map()
  const starts = []
  for (const m of text.matchAll(/^(\d\d:\d\d:\d\d\.\d{3}) Normal +(Created|Started) +spec\.containers\{(c\d+)\}/gm)) {
    if (m[2] === 'Created') created.set(m[3], stamp(m[1]))
    else if (m[3] !== 'c0' && created.has(m[3])) starts.push(stamp(m[1]) - created.get(m[3]))
  }
  return starts
}

async function measure({ tmp, roots, crunPath, cleanup, opts, log, env }) {
  const dir = join(tmp, 'images-bench')
  mkdirSync(dir)
  const { image, diffId } = writeBusyboxLayout(dir)
  execFileSync(PODSHIM_BIN, ['image', 'pull', '--data-root', roots.data, image], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const layer = join(roots.data, 'images/layers/sha256', diffId.slice(7))
  if (!existsSync(join(layer, 'bin/busybox'))) throw new Error(`the pulled layer is not at "${layer}"`)
  const track = { onSpawn: (pid) => cleanup.addPid(pid), onExit: (pid) => cleanup.dropPid(pid), env }
  const rows = []
  const add = (key, label, fn) => rows.push({ key, label, fn, values: [] })
  let crun = null
  if (crunPath) {
    const rootfs = join(dir, 'crun-rootfs')
    cpSync(layer, rootfs, { recursive: true, verbatimSymlinks: true })
    for (const d of ['proc', 'dev', 'sys', 'run']) mkdirSync(join(rootfs, d), { recursive: true })
    const bundle = makeBundle(crunPath, join(dir, 'crun-bundle'), rootfs)
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'))
    // the image's own root: none of the host binds makeBundle adds for podshim/host
    config.mounts = config.mounts.filter((m) => m.type !== 'bind')
    config.process.env = ['PATH=/bin']
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2))
    mkdirSync(join(dir, 'crun-state'))
    crun = await startCrunServer({ crunPath, bundle, stateDir: join(dir, 'crun-state'), idPrefix: `${roots.cgroupParent}-img`, cleanup })
    add('crun', 'crun run (image rootfs)', () => crun.run())
  }
  const pods = {}
  for (const [key, img, n] of [['img1', image, 1], ['host1', 'podshim/host', 1], ['imgN', image, CONTAINERS_N], ['hostN', 'podshim/host', CONTAINERS_N]]) {
    pods[key] = runArgv(podManifest(join(dir, `${key}.json`), `bench-${key.toLowerCase()}`, img, n), roots)
  }
  add('img1', 'podshim run image ×1', () => timeOk('podshim run (image)', pods.img1, track))
  add('host1', 'podshim run host ×1', () => timeOk('podshim run (host)', pods.host1, track))
  add('imgN', `podshim run image ×${CONTAINERS_N}`, () => timeOk('podshim run (image)', pods.imgN, track))
  add('hostN', `podshim run host ×${CONTAINERS_N}`, () => timeOk('podshim run (host)', pods.hostN, track))
  log(`bench: images: ${opts.warmup} warm-up + ${opts.runs} timed rounds of ${rows.length} rows`)
  try {
    for (let round = 0; round < opts.warmup + opts.runs; round++) {
      for (const row of rows) {
        const ms = await row.fn()
        if (round >= opts.warmup) row.values.push(ms)
      }
    }
  } finally {
    if (crun !== null) await crun.close()
  }
  const starts = { img: [], host: [] }
  for (let i = 0; i < Math.max(2, Math.ceil(opts.runs / 3)); i++) {
    starts.img.push(...eventStarts(runArgv(join(dir, 'imgN.json'), roots, false), env))
    starts.host.push(...eventStarts(runArgv(join(dir, 'hostN.json'), roots, false), env))
  }
  const left = readdirSync(join(roots.state, 'pods'))
  if (left.length > 0) throw new Error(`pods left in the state root: ${left.join(', ')}`)
  return { stats: Object.fromEntries(rows.map((r) => [r.key, { label: r.label, ...summarize(r.values) }])), starts: { img: summarize(starts.img), host: summarize(starts.host) } }
}

function print({ stats, starts }) {
  out('images (a cached one-layer busybox image; pods of `true`, imagePullPolicy Never)')
  const crun = stats.crun?.median
  const host = stats.host1.median
  out(`  ${'row'.padEnd(26)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'p90'.padStart(8)}${'× crun'.padStart(8)}${'× host pod'.padStart(12)}`)
  for (const s of Object.values(stats)) {
    out(`  ${s.label.padEnd(26)}${f1(s.median).padStart(10)}${f1(s.min).padStart(8)}${f1(s.p90).padStart(8)}${f2(s.median / crun).padStart(8)}${f2(s.median / host).padStart(12)}`)
  }
  const perContainer = ((stats.imgN.median - stats.img1.median) - (stats.hostN.median - stats.host1.median)) / (CONTAINERS_N - 1)
  out(`  podshim image pod − host pod (1 container)     ${f1(stats.img1.median - host)} ms`)
  if (crun !== undefined) out(`  podshim run image ×1 / crun run (same rootfs)  ${f2(stats.img1.median / crun)}`)
  out(`  each further container, image − host           ${f1(perContainer)} ms (the overlay root's cost per container)`)
  out(`  each further container, image                  ${f1((stats.imgN.median - stats.img1.median) / (CONTAINERS_N - 1))} ms`)
  out(`  each further container, host                   ${f1((stats.hostN.median - stats.host1.median) / (CONTAINERS_N - 1))} ms`)
  out(`  container start (Created → Started, ms stamps; ${starts.img.n} / ${starts.host.n} starts):`)
  out(`    image ${f1(starts.img.median)} ms median (max ${f1(starts.img.max)}), host ${f1(starts.host.median)} ms (max ${f1(starts.host.max)}), overlay − host view ${f1(starts.img.median - starts.host.median)} ms`)
  out()
}

/** Measure and print the image section; what fails is reported in `skipped`, never thrown. */
async function benchImages({ tmp, roots, crunPath, cleanup, opts, log, env, skipped }) {
  try {
    if (!existsSync(BUSYBOX)) throw new Error(`needs ${BUSYBOX} (apt-get install busybox-static)`)
    if (!crunPath) skipped.push('images: crun run (image rootfs): crun is not installed')
    print(await measure({ tmp, roots, crunPath, cleanup, opts, log, env }))
  } catch (err) {
    skipped.push(`images: ${err.message.split('\n')[0]}`)
  }
}

module.exports = { benchImages }
