// What `image load` reads and in what order: the data root is checked and
// the source looked for before anything is read or made; the archive is
// read once (so a FIFO or stdin, which can be read only once, loads, gzip
// or not); a gzip archive's plain copy has no name in the store's tmp even
// while it is being written, so an interrupted load leaves nothing; an
// archive of no images is an error naming it.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip, gzipSync } from 'node:zlib'
import t from 'tap'

import { buildTar } from '../../unit/images/fixtures/tar-builder'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function image(dataRoot: string, args: string[], input?: Buffer): Cli {
  const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv(), input, timeout: 30_000 })
  return { status, stdout, stderr }
}

const SAVED = dockerSaveArchive([{ repoTags: ['piped:1'], layers: [[{ name: 'x', data: 'x' }]] }])

t.test('load - reads the archive from stdin, plain or gzip, as docker load does', async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  for (const [what, bytes] of [['plain', SAVED.tar], ['gzip', gzipSync(SAVED.tar)]] as const) {
    const dataRoot = join(dir, what)
    const r = image(dataRoot, ['load', '-'], bytes)
    t.same({ status: r.status, stdout: r.stdout }, { status: 0, stdout: 'Loaded image: piped:1\n' }, `${what}: ${r.stderr}`)
    t.match(image(dataRoot, ['ls']).stdout, /^docker\.io\/library\/piped:1 /m)
    t.same(readdirSync(join(dataRoot, 'images/tmp')), [], 'no copy left')
  }
})

t.test('a FIFO is read once: a gzip archive through one loads, and is named by its tags only', { skip: process.platform !== 'linux' && 'mkfifo' }, async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  const fifo = join(dir, 'fifo')
  spawnSync('mkfifo', [fifo])
  const child = spawn(CLI_PATH, ['image', 'load', fifo, '--data-root', join(dir, 'data')], { env: cliEnv() })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  await pipeline([gzipSync(SAVED.tar)], createWriteStream(fifo))
  const status = await new Promise((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  t.same({ status, stdout }, { status: 0, stdout: 'Loaded image: piped:1\n' })
})

t.test('the data root is checked before the archive is read', async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  // a FIFO no one writes: opening it to read would wait for ever
  const fifo = join(dir, 'fifo')
  spawnSync('mkfifo', [fifo])
  mkdirSync(join(dir, 'data'))
  writeFileSync(join(dir, 'data/images'), 'a file')
  const r = image(join(dir, 'data'), ['load', fifo])
  t.same(r, { status: 2, stdout: '', stderr: `podshim: --data-root "${join(dir, 'data')}": "${join(dir, 'data/images')}" is not a directory\n` })
})

t.test('a source that does not exist is named, and no store is made for it', async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  const dataRoot = join(dir, 'data')
  const cases: [string[], string][] = [
    [['load', `oci:${dir}/none`], `load "oci:${dir}/none": "${dir}/none" does not exist`],
    [['load', `docker-archive:${dir}/none.tar`], `load "docker-archive:${dir}/none.tar": "${dir}/none.tar" does not exist`],
    [['load', `oci-archive:${dir}`], `load "oci-archive:${dir}": "${dir}" is a directory, not an archive (load it as oci:${dir})`],
    [['pull', `oci:${dir}/none:v1`], `pull "oci:${dir}/none:v1": "${dir}/none" does not exist`],
    [['load', `${dir}/none.tar`], `load "${dir}/none.tar": no such file or directory`],
  ]
  for (const [args, message] of cases) t.same(image(dataRoot, args), { status: 1, stdout: '', stderr: `podshim: ${message}\n` }, args.join(' '))
  t.notOk(existsSync(dataRoot), 'nothing made')
})

t.test('an archive of no images is an error naming it', async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  const empty = join(dir, 'x.tar')
  writeFileSync(empty, buildTar([{ name: 'manifest.json', data: '[]' }]))
  const oci = join(dir, 'oci.tar')
  writeFileSync(oci, buildTar([{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }, { name: 'index.json', data: '{"schemaVersion":2,"manifests":[]}' }]))
  for (const [path, given] of [[empty, empty], [oci, oci], [`oci-archive:${oci}`, `oci-archive:${oci}`]]) {
    t.same(image(join(dir, 'data'), ['load', path]), { status: 1, stdout: '', stderr: `podshim: load "${given}": the archive holds no images\n` }, path)
  }
})

t.test('a load interrupted while it decompresses leaves no temp file', async (t) => {
  const dir = tempDir(t, 'podshim-loadsrc-')
  // 256 MiB of zeros, gzip: a few hundred ms to decompress; not a tar, which does not matter before it is read
  const gz = join(dir, 'big.tar.gz')
  await pipeline(async function* () { for (let i = 0; i < 256; i++) yield Buffer.alloc(1 << 20) }, createGzip({ level: 1 }), createWriteStream(gz))
  const dataRoot = join(dir, 'data')
  const tmp = join(dataRoot, 'images/tmp')
  const child = spawn(CLI_PATH, ['image', 'load', gz, '--data-root', dataRoot], { env: cliEnv(), stdio: 'ignore' })
  const closed = new Promise((resolve) => child.on('close', resolve))
  let seen: string[] = []
  for (let i = 0; i < 2000 && child.exitCode === null; i++) {
    seen = existsSync(tmp) ? readdirSync(tmp) : []
    if (seen.length > 0) break
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  child.kill('SIGINT')
  await closed
  t.same(seen, [], 'no named temp file while decompressing')
  t.same(readdirSync(tmp), [], 'nor after the interrupt')
})
