// One image ID has one size in `image ls` and `image inspect`, however it
// came: its unpacked size, as `docker images` shows it. An OCI archive (or a
// registry) gives gzip layers and a `docker save` archive plain tars, so
// the size of the blobs differs between the two loads of the same image.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'

import { ImageStore } from '../../../src/images/store'
import { imageRows } from '../../../src/commands/image-list'
import { dockerSaveArchive, dockerSaveOfLayout, layoutArchive } from './fixtures/archive-builder'
import { writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function imageCli(dataRoot: string): (...args: string[]) => Cli {
  return (...args) => spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
}

/** 300 000 + 1 000 + 200 000 bytes of files, a hard link to the first (counted once) and a 7-byte symlink: 501 007 bytes, 501kB */
const LAYERS = [
  [
    { name: 'etc/', type: '5' }, { name: 'etc/big', data: 'a'.repeat(300_000) }, { name: 'etc/same', type: '1', linkName: 'etc/big' },
    { name: 'etc/small', data: 'b'.repeat(1000) }, { name: 'bin/', type: '5' }, { name: 'bin/sh', type: '2', linkName: 'busybox' },
  ],
  [{ name: 'srv/', type: '5' }, { name: 'srv/data', data: 'c'.repeat(200_000) }],
]
const UNPACKED_BYTES = 501_007

/** the SIZE of each ls row whose IMAGE ID is the image's */
function sizesOf(ls: string, id: string): Record<string, string> {
  const rows = ls.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/))
  return Object.fromEntries(rows.filter((r) => id.startsWith(`sha256:${r[1]}`)).map((r) => [r[0], r[2]]))
}

t.test('an image has its unpacked size whether loaded with gzip layers or from a docker save archive', async (t) => {
  const dir = tempDir(t, 'podshim-size-')
  const layout = join(dir, 'layout')
  writeLayout(layout, { v1: { layers: LAYERS } })
  writeFileSync(join(dir, 'oci.tar'), layoutArchive(layout))
  writeFileSync(join(dir, 'save.tar'), dockerSaveOfLayout(layout, 'v1', ['sized:1']))
  const cli = imageCli(join(dir, 'data'))

  t.equal(cli('load', join(dir, 'oci.tar')).status, 0)
  const store = new ImageStore(join(dir, 'data'), false)
  const { id } = store.findImage(`oci-archive:${join(dir, 'oci.tar')}`)!
  t.same(sizesOf(cli('ls').stdout, id), { [`oci-archive:${join(dir, 'oci.tar')}`]: '501kB' }, 'gzip layers: the unpacked size, not the blobs\'')

  const loaded = cli('load', join(dir, 'save.tar'))
  t.same({ status: loaded.status, stdout: loaded.stdout }, { status: 0, stdout: 'Loaded image: sized:1\n' }, 'loaded', { stderr: loaded.stderr })
  t.equal(store.findImage('docker.io/library/sized:1')?.id, id, 'the same image ID')
  t.same(sizesOf(cli('ls').stdout, id), {
    [`docker-archive:${join(dir, 'save.tar')}`]: '501kB', 'docker.io/library/sized:1': '501kB', [`oci-archive:${join(dir, 'oci.tar')}`]: '501kB',
  }, 'plain tar layers: the same size, under every name')
  t.equal((JSON.parse(cli('inspect', 'sized:1').stdout) as { size: number }).size, UNPACKED_BYTES, 'inspect gives it in bytes')
})

/** An image of LAYERS loaded from an OCI layout into a data root of the test's own. */
function loadedLayout(t: Test) {
  const dir = tempDir(t, 'podshim-size-')
  const layout = join(dir, 'layout')
  writeLayout(layout, { v1: { layers: LAYERS } })
  const cli = imageCli(join(dir, 'data'))
  t.equal(cli('load', `oci:${layout}:v1`).status, 0)
  const store = new ImageStore(join(dir, 'data'), false)
  const record = store.findImage(`oci:${layout}:v1`)!
  return { layout, cli, store, record }
}

t.test('a record of an older podshim, without layer sizes, is measured when shown', async (t) => {
  const { layout, cli, store, record } = loadedLayout(t)
  t.same(record.layers.map((l) => l.unpackedSize), [301_007, 200_000], 'measured once, when stored')
  const file = join(store.root, 'images', `${record.id.slice(7)}.json`)
  const old = JSON.parse(readFileSync(file, 'utf8')) as { layers: Record<string, unknown>[] }
  for (const layer of old.layers) delete layer.unpackedSize
  writeFileSync(file, JSON.stringify(old))
  t.same(sizesOf(cli('ls').stdout, record.id), { [`oci:${layout}:v1`]: '501kB' })
  t.equal((JSON.parse(cli('inspect', `oci:${layout}:v1`).stdout) as { size: number }).size, UNPACKED_BYTES)
})

t.test('loading a stored image again measures none of its layers again', async (t) => {
  const { layout, cli, store, record } = loadedLayout(t)
  // a figure no walk gives: kept only if the second load takes it from the record
  store.putImage({ ...record, layers: record.layers.map((l) => ({ ...l, unpackedSize: 1 })) }, [])
  t.equal(cli('load', `oci:${layout}:v1`).status, 0)
  t.same(store.getImage(record.id)!.layers.map((l) => l.unpackedSize), [1, 1])
})

t.test('a layer another image has is not measured again: images on one base walk it once', async (t) => {
  const dir = tempDir(t, 'podshim-size-')
  const base = [{ name: 'base', data: 'b'.repeat(1000) }]
  const first = dockerSaveArchive([{ repoTags: ['one:1'], layers: [base, [{ name: 'one', data: '1' }]] }])
  const second = dockerSaveArchive([{ repoTags: ['two:1'], layers: [base, [{ name: 'two', data: '22' }]] }])
  writeFileSync(join(dir, 'one.tar'), first.tar)
  writeFileSync(join(dir, 'two.tar'), second.tar)
  const cli = imageCli(join(dir, 'data'))
  t.equal(cli('load', join(dir, 'one.tar')).status, 0)
  const store = new ImageStore(join(dir, 'data'), false)
  const [baseLayer] = store.getImage(first.ids[0])!.layers
  t.equal(baseLayer.unpackedSize, 1000)
  // a file no walk of the first load saw: counted only if the second load walks the base again
  writeFileSync(join(store.layerPath(baseLayer.diffId), 'extra'), 'x'.repeat(5))
  t.equal(cli('load', join(dir, 'two.tar')).status, 0)
  t.same(store.getImage(second.ids[0])!.layers.map((l) => l.unpackedSize), [1000, 2], 'the base\'s size from the first image\'s record')
})

t.test('ls of a store of an older podshim measures a shared layer once and reads the names once', async (t) => {
  const dir = tempDir(t, 'podshim-size-')
  const base = [{ name: 'base', data: 'b'.repeat(1000) }]
  const { tar, ids } = dockerSaveArchive([
    { repoTags: ['one:1'], layers: [base, [{ name: 'one', data: '1' }]] },
    { repoTags: ['two:1'], layers: [base, [{ name: 'two', data: '22' }]] },
  ])
  writeFileSync(join(dir, 'two.tar'), tar)
  t.equal(imageCli(join(dir, 'data'))('load', join(dir, 'two.tar')).status, 0)
  const store = new ImageStore(join(dir, 'data'), false)
  for (const id of ids) {
    const file = join(store.root, 'images', `${id.slice(7)}.json`)
    const old = JSON.parse(readFileSync(file, 'utf8')) as { layers: Record<string, unknown>[] }
    for (const layer of old.layers) delete layer.unpackedSize
    writeFileSync(file, JSON.stringify(old))
  }
  const walked: string[] = []
  let refReads = 0
  const layerPath = store.layerPath.bind(store)
  const readRefs = store.readRefs.bind(store)
  store.layerPath = (diffId: string) => { walked.push(diffId); return layerPath(diffId) }
  store.readRefs = () => { refReads++; return readRefs() }
  const rows = imageRows(store)
  t.same(rows.slice(2).map((r) => [r[0], r[2]]).sort(), [['docker.io/library/one:1', '1kB'], ['docker.io/library/two:1', '1kB']])
  t.equal(walked.length, new Set(walked).size, 'each layer walked at most once')
  t.equal(walked.length, 3, 'the base and each image\'s own layer')
  t.equal(refReads, 1, 'the names read once')
})
