// Pulls from a real docker-registry on loopback, loads skopeo-written
// archives, and the resolver's pull policies, into temp data roots.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { pruneImages, removeImage } from '../../../src/images/image-gc'
import type { PullEvent } from '../../../src/images/image-pull'
import { absoluteSource, parseImageSource } from '../../../src/images/reference'
import { ImageStore } from '../../../src/images/store'
import { StoreImageResolver, fetchSource } from '../../../src/images/store-resolver'
import { busyboxLayer, writeLayout } from './fixtures/image-builder'
import { ensureTools, skopeoCopy, startRegistry } from './fixtures/registry'
import { TEST_REGISTRY, tempDir } from './fixtures/temp-dirs'

const skip = process.getuid?.() !== 0 ? 'needs root (layers keep ownership and device nodes)' : ensureTools()
const REGISTRY = TEST_REGISTRY

const APP_CONFIG = { Entrypoint: ['/bin/echo', 'from-entrypoint'], Cmd: ['default-arg'], WorkingDir: '/tmp', User: 'nobody', StopSignal: 'SIGQUIT' }

t.test('registry pulls', { skip: skip ?? false }, async (t) => {
  const work = tempDir(t, 'podshim-images-')
  const layout = join(work, 'layout')
  writeLayout(layout, {
    busybox: { layers: [busyboxLayer()] },
    app: { layers: [busyboxLayer(), [{ name: 'etc/app.conf', data: 'v=1' }, { name: 'etc/.wh.motd', data: '' }]], config: APP_CONFIG },
    multi: [{ layers: [[{ name: 'arch', data: 'arm64' }]], architecture: 'arm64' }, { layers: [[{ name: 'arch', data: 'amd64' }]], architecture: 'amd64' }],
  })
  const registry = await startRegistry(t)
  for (const tag of ['busybox', 'app']) skopeoCopy(`oci:${layout}:${tag}`, `docker://${registry.host}/test/${tag}:1`)
  skopeoCopy(`oci:${layout}:multi`, `docker://${registry.host}/test/multi:1`, ['--all'])

  t.test('by tag, then again with every layer already present', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const events: PullEvent[] = []
    const record = await fetchSource(store, parseImageSource(`${registry.host}/test/app:1`), REGISTRY, (e) => events.push(e))
    t.same(record.config, { entrypoint: APP_CONFIG.Entrypoint, cmd: APP_CONFIG.Cmd, env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], workingDir: '/tmp', user: 'nobody', stopSignal: 'SIGQUIT' })
    t.equal(record.layers.length, 2)
    t.ok(existsSync(join(store.layerPath(record.layers[0].diffId), 'bin/busybox')))
    t.equal(readFileSync(join(store.layerPath(record.layers[1].diffId), 'etc/app.conf'), 'utf8'), 'v=1')
    t.ok(events.some((e) => e.kind === 'layer' && e.state === 'fetching'))
    t.same(store.namesOf(record.id), [`${registry.host}/test/app:1`, `${registry.host}/test/app@${record.manifestDigest}`])
    const again: PullEvent[] = []
    await fetchSource(store, parseImageSource(`${registry.host}/test/app:1`), REGISTRY, (e) => again.push(e))
    t.notOk(again.some((e) => e.kind === 'layer' && e.state !== 'cached'), 'no layer fetched twice')
  })

  t.test('by digest', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const first = await fetchSource(store, parseImageSource(`${registry.host}/test/busybox:1`), REGISTRY)
    const other = new ImageStore(tempDir(t, 'podshim-data-'))
    const byDigest = await fetchSource(other, parseImageSource(`docker://${registry.host}/test/busybox@${first.manifestDigest}`), REGISTRY)
    t.equal(byDigest.id, first.id)
  })

  t.test('a multi-platform index resolves to the host platform', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const record = await fetchSource(store, parseImageSource(`${registry.host}/test/multi:1`), REGISTRY)
    t.equal(record.platform, 'linux/amd64')
    t.equal(readFileSync(join(store.layerPath(record.layers[0].diffId), 'arch'), 'utf8'), 'amd64')
  })

  t.test('a corrupt blob is rejected and not kept', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const record = await fetchSource(store, parseImageSource(`${registry.host}/test/busybox:1`), REGISTRY)
    const hex = record.layers[0].digest.slice(7)
    const data = join(registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data')
    const saved = readFileSync(data)
    t.teardown(() => writeFileSync(data, saved))
    const corrupt = Buffer.from(saved)
    corrupt[corrupt.length - 100] ^= 0xff
    writeFileSync(data, corrupt)
    const fresh = new ImageStore(tempDir(t, 'podshim-data-'))
    await t.rejects(fetchSource(fresh, parseImageSource(`${registry.host}/test/busybox:1`), REGISTRY), { name: 'BlobDigestError', message: new RegExp(`verify blob "sha256:${hex}"`) })
    t.notOk(fresh.hasBlob(record.layers[0].digest))
    t.same(readdirSync(join(fresh.root, 'tmp')), [])
    t.same(fresh.listImages(), [])
  })

  t.test('an interrupted pull leaves nothing mistaken for complete and resumes cleanly', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const donor = await fetchSource(new ImageStore(tempDir(t, 'podshim-data-')), parseImageSource(`${registry.host}/test/app:1`), REGISTRY)
    // what a pull SIGKILLed mid-blob and mid-unpack leaves: temp names owned by a dead pid
    const deadPid = 2 ** 22 + 1
    writeFileSync(join(store.root, 'tmp', `blob-${donor.layers[0].digest.slice(7)}.${deadPid}.x`), 'partial')
    mkdirSync(join(store.root, 'tmp', `layer-${donor.layers[0].diffId.slice(7)}.${deadPid}.x`, 'bin'), { recursive: true })
    t.notOk(store.hasBlob(donor.layers[0].digest))
    t.notOk(store.hasLayer(donor.layers[0].diffId))
    t.equal(store.findImage(`${registry.host}/test/app:1`), null)
    const record = await fetchSource(store, parseImageSource(`${registry.host}/test/app:1`), REGISTRY)
    t.equal(record.id, donor.id)
    t.ok(existsSync(join(store.layerPath(record.layers[0].diffId), 'bin/busybox')))
    pruneImages(store)
    t.same(readdirSync(join(store.root, 'tmp')), [], 'prune sweeps the dead pull\'s leftovers')
  })

  t.test('pull policies in the resolver', async (t) => {
    const dataRoot = tempDir(t, 'podshim-data-')
    const resolver = new StoreImageResolver({ dataRoot, registry: REGISTRY })
    const image = `${registry.host}/test/app:1`
    await t.rejects(resolver.resolve(image, 'Never'), { name: 'ImageError', reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` })
    const resolved = await resolver.resolve(image, 'IfNotPresent')
    t.type(resolved.pulled?.durationMs, 'number', 'a resolve that pulled says so')
    t.equal(resolved.rootfs.kind, 'overlay')
    t.ok(existsSync(join(resolved.lookupRoot, 'bin/busybox')), 'the lookup view merges the layers')
    t.notOk(existsSync(join(resolved.lookupRoot, 'etc/motd')))
    const present = await resolver.resolve(image, 'Never')
    t.same(present.imageId, resolved.imageId)
    t.equal(present.pulled, undefined, 'one that found the image present does not')
    t.type((await resolver.resolve(image, 'Always')).pulled?.durationMs, 'number', 'Always asks the registry again')
    await t.rejects(resolver.resolve(`${registry.host}/test/missing:1`, 'IfNotPresent'), { reason: 'ErrImagePull', message: /pull image/ })
    await t.rejects(resolver.resolve('library/BusyBox', 'Always'), { reason: 'InvalidImageName', message: /lower case/ })
    const store = new ImageStore(dataRoot)
    t.throws(() => removeImage(store, image), { message: /a running pod uses it/ })
    resolver.release(resolved)
    t.equal(removeImage(store, image).id, resolved.imageId)
    t.same(readdirSync(join(store.root, 'layers/sha256')), [])
  })

  t.test('archives written by skopeo load', async (t) => {
    const dir = tempDir(t, 'podshim-archives-')
    skopeoCopy(`oci:${layout}:app`, `docker-archive:${join(dir, 'app.tar')}:example/app:2`)
    skopeoCopy(`oci:${layout}:app`, `oci-archive:${join(dir, 'app-oci.tar')}:v2`)
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const fromDocker = await fetchSource(store, parseImageSource(`docker-archive:${join(dir, 'app.tar')}`), REGISTRY)
    const fromOci = await fetchSource(store, parseImageSource(`oci-archive:${join(dir, 'app-oci.tar')}:v2`), REGISTRY)
    const fromDir = await fetchSource(store, parseImageSource(`oci:${layout}:app`), REGISTRY)
    t.equal(fromDocker.config.entrypoint[1], 'from-entrypoint')
    t.same([fromOci.id, fromDir.id], [fromDir.id, fromOci.id])
    t.same(fromDocker.layers.map((l) => l.diffId), fromDir.layers.map((l) => l.diffId))
    t.ok(existsSync(join(store.layerPath(fromDocker.layers[0].diffId), 'bin/busybox')))
    // as docker load: the archive's RepoTags name the image too, so a pod's `image: example/app:2` finds it
    t.equal(store.findImage('docker.io/example/app:2')?.id, fromDocker.id)
    t.ok(store.namesOf(fromDocker.id).includes(`docker-archive:${join(dir, 'app.tar')}`))
  })

  t.test('a relative archive path is the archive in the current directory, stored under its absolute path', async (t) => {
    const dir = tempDir(t, 'podshim-archives-')
    skopeoCopy(`oci:${layout}:app`, `oci-archive:${join(dir, 'rel.tar')}:v1`)
    const source = absoluteSource(parseImageSource('oci-archive:rel.tar:v1'), dir)
    t.same(source, { transport: 'oci-archive', file: join(dir, 'rel.tar'), tag: 'v1' })
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const loaded = await fetchSource(store, source, REGISTRY)
    t.same(store.namesOf(loaded.id), [`oci-archive:${join(dir, 'rel.tar')}:v1`])
  })
})

t.test('htpasswd registry needs the docker config credentials', { skip: skip ?? false }, async (t) => {
  const work = tempDir(t, 'podshim-images-')
  writeLayout(join(work, 'layout'), { busybox: { layers: [busyboxLayer()] } })
  const registry = await startRegistry(t, { user: 'podshim', password: 's3cret' })
  skopeoCopy(`oci:${join(work, 'layout')}:busybox`, `docker://${registry.host}/private/busybox:1`, ['--dest-creds', 'podshim:s3cret'])
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const source = parseImageSource(`${registry.host}/private/busybox:1`)
  await t.rejects(fetchSource(store, source, REGISTRY), { name: 'RegistryError', message: /Basic credentials and none are configured/ })
  const authFile = join(work, 'config.json')
  writeFileSync(authFile, JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from('podshim:s3cret').toString('base64') } } }))
  const record = await fetchSource(store, source, { ...REGISTRY, authFile })
  t.equal(record.layers.length, 1)
  writeFileSync(authFile, JSON.stringify({ auths: { [registry.host]: { username: 'podshim', password: 'wrong' } } }))
  await t.rejects(fetchSource(new ImageStore(tempDir(t, 'podshim-data-')), source, { ...REGISTRY, authFile }), { message: /HTTP 401/ })
})
