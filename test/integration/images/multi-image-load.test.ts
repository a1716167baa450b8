// `podshim image load` of an archive that holds several images loads them
// all, as `docker load` and `ctr images import` do: each named by its
// RepoTags (docker save) or its annotations (OCI), one "Loaded image:"
// line per name, "Loaded image ID:" for an untagged one, and a layer the
// images share stored once.
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'

import { ImageStore } from '../../../src/images/store'
import { dockerSaveArchive, layoutArchive } from './fixtures/archive-builder'
import { writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function imageCli(dataRoot: string): (...args: string[]) => Cli {
  return (...args) => spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
}

const shared = [{ name: 'shared.txt', data: 'in both' }]

t.test('a docker save archive of two images and an untagged one loads all three, sharing their common layer', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const { tar, ids } = dockerSaveArchive([
    { repoTags: ['app:1', 'app:latest'], layers: [shared, [{ name: 'a.txt', data: 'a' }]] },
    { repoTags: ['example.com/tools/b:2'], layers: [shared, [{ name: 'b.txt', data: 'b' }]] },
    { repoTags: null, layers: [[{ name: 'c.txt', data: 'c' }]] },
  ])
  const archive = join(dir, 'save.tar')
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', archive)
  t.equal(r.status, 0, 'loaded', { stderr: r.stderr })
  t.equal(r.stdout, `Loaded image: app:1\nLoaded image: app:latest\nLoaded image: example.com/tools/b:2\nLoaded image ID: ${ids[2]}\n`)
  const store = new ImageStore(dataRoot)
  t.same(store.namesOf(ids[0]), ['docker.io/library/app:1', 'docker.io/library/app:latest'])
  t.same(store.namesOf(ids[1]), ['example.com/tools/b:2'])
  t.same(store.namesOf(ids[2]), [], 'untagged, as docker load leaves it')
  t.equal(store.listImages().length, 3)
  t.equal(readdirSync(join(dataRoot, 'images/layers/sha256')).length, 4, 'the shared layer is stored once')
  t.equal(store.getImage(ids[0])!.layers[0].diffId, store.getImage(ids[1])!.layers[0].diffId)
  t.same(readdirSync(join(dataRoot, 'images/tmp')), [], 'nothing left in tmp')
})

t.test('an OCI archive with several images loads each under its annotations', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const layout = join(dir, 'layout')
  writeLayout(layout, {
    v1: { layers: [shared, [{ name: 'one.txt', data: '1' }]] },
    'example.com/tools/two:2': { layers: [shared, [{ name: 'two.txt', data: '2' }]] },
    untagged: { layers: [[{ name: 'three.txt', data: '3' }]] },
  })
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
  index.manifests[0].annotations['io.containerd.image.name'] = 'docker.io/library/one:1'
  delete index.manifests[2].annotations
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
  const archive = join(dir, 'oci.tar.gz')
  writeFileSync(archive, gzipSync(layoutArchive(layout)))
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', archive)
  t.equal(r.status, 0, 'loaded', { stderr: r.stderr })
  const store = new ImageStore(dataRoot)
  t.equal(store.listImages().length, 3)
  const one = store.findImage(`oci-archive:${archive}:v1`)!
  const two = store.findImage('example.com/tools/two:2')!
  const three = store.listImages().find((r) => store.namesOf(r.id).length === 0)!
  t.ok(one && two && three, 'all three stored, one of them untagged')
  t.same(store.namesOf(one.id), ['docker.io/library/one:1', `oci-archive:${archive}:v1`], 'the layout tag and containerd\'s name')
  t.same(store.namesOf(two.id), [`example.com/tools/two:2`, `oci-archive:${archive}:example.com/tools/two:2`], 'a ref.name that is a full name names it')
  t.equal(r.stdout, `Loaded image: one:1\nLoaded image: example.com/tools/two:2\nLoaded image ID: ${three.id}\n`)
  t.equal(readdirSync(join(dataRoot, 'images/layers/sha256')).length, 4, 'the shared layer is stored once')
  t.same(readdirSync(join(dataRoot, 'images/tmp')), [], 'the decompressed archive is removed')
})

t.test('an archive of one image keeps its transport name and prints the names it carries', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const { tar, ids } = dockerSaveArchive([{ repoTags: ['solo:1'], layers: [[{ name: 's.txt', data: 's' }]] }])
  const archive = join(dir, 'solo.tar')
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', archive)
  t.same({ status: r.status, stdout: r.stdout }, { status: 0, stdout: 'Loaded image: solo:1\n' }, 'loaded', { stderr: r.stderr })
  t.same(new ImageStore(dataRoot).namesOf(ids[0]), [`docker-archive:${archive}`, 'docker.io/library/solo:1'])
  const { tar: untagged, ids: untaggedIds } = dockerSaveArchive([{ layers: [[{ name: 'u.txt', data: 'u' }]] }])
  writeFileSync(join(dir, 'untagged.tar'), untagged)
  const u = imageCli(dataRoot)('load', join(dir, 'untagged.tar'))
  t.same({ status: u.status, stdout: u.stdout }, { status: 0, stdout: `Loaded image: docker-archive:${join(dir, 'untagged.tar')}\n` }, 'loaded', { stderr: u.stderr })
  t.same(new ImageStore(dataRoot).namesOf(untaggedIds[0]), [`docker-archive:${join(dir, 'untagged.tar')}`])
})

t.test('a docker save archive whose second image lacks a layer is refused before anything is loaded', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const { tar } = dockerSaveArchive([
    { repoTags: ['good:1'], layers: [[{ name: 'g.txt', data: 'g' }]] },
    { repoTags: ['bad:1'], layers: [[{ name: 'b.txt', data: 'b' }]], isLayerMissing: true },
  ])
  const archive = join(dir, 'broken.tar.gz')
  writeFileSync(archive, gzipSync(tar))
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', archive)
  t.same({ status: r.status, stdout: r.stdout }, { status: 1, stdout: '' })
  t.match(r.stderr, new RegExp(`^podshim: parse "manifest.json" in archive "${archive}": \\[1\\] names "[a-f0-9]{64}/layer.tar", which the archive lacks$`, 'm'))
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  t.same(new ImageStore(dataRoot).listImages(), [], 'nothing loaded')
  t.same(readdirSync(join(dataRoot, 'images/tmp')), [], 'the decompressed archive is removed')
})

t.test('an OCI archive whose second image is corrupt: the error names it and the archive, the first stays loaded, no temp file is left', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const layout = join(dir, 'layout')
  writeLayout(layout, { v1: { layers: [[{ name: 'one.txt', data: '1' }]] }, v2: { layers: [[{ name: 'two.txt', data: '2' }]] } })
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[1].digest.slice(7)), 'utf8'))
  const layer = manifest.layers[0].digest as string
  writeFileSync(join(layout, 'blobs/sha256', layer.slice(7)), gzipSync('not the layer'))
  const archive = join(dir, 'oci.tar.gz')
  writeFileSync(archive, gzipSync(layoutArchive(layout)))
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', archive)
  t.same({ status: r.status, stdout: r.stdout }, { status: 1, stdout: `Loaded image: oci-archive:${archive}:v1\n` }, 'the first loaded', { stderr: r.stderr })
  t.match(r.stderr, `podshim: load image 2 of 2 ("oci-archive:${archive}:v2") from archive "${archive}": `)
  t.match(r.stderr, `verify blob "${layer}"`)
  t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
  const store = new ImageStore(dataRoot)
  t.ok(store.findImage(`oci-archive:${archive}:v1`), 'the first image is loaded')
  t.equal(store.listImages().length, 1)
  t.same(readdirSync(join(dataRoot, 'images/tmp')), [], 'no temp file left')
})

t.test('one image of several, named with :NAME:TAG, is loaded alone', async (t) => {
  const dir = tempDir(t, 'podshim-multi-')
  const { tar, ids } = dockerSaveArchive([
    { repoTags: ['app:1'], layers: [[{ name: 'a.txt', data: 'a' }]] },
    { repoTags: ['other:2'], layers: [[{ name: 'o.txt', data: 'o' }]] },
  ])
  const archive = join(dir, 'save.tar')
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  const r = imageCli(dataRoot)('load', `docker-archive:${archive}:other:2`)
  t.same({ status: r.status, stdout: r.stdout }, { status: 0, stdout: 'Loaded image: other:2\n' }, 'loaded', { stderr: r.stderr })
  const store = new ImageStore(dataRoot)
  t.same(store.listImages().map((i) => i.id), [ids[1]])
  t.same(store.namesOf(ids[1]), ['docker.io/library/other:2'])
})
