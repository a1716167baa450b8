// A registry that lies (fixtures/hostile-registry.ts): every manifest must
// be checked against the digest that named it before anything of it is
// used or kept, whatever digest algorithm the reference or index names.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'

import { hostPlatform } from '../../../src/images/image-manifest'
import { parseImageSource } from '../../../src/images/reference'
import { ImageStore } from '../../../src/images/store'
import { fetchSource } from '../../../src/images/store-resolver'
import { sha256 } from '../../unit/images/fixtures/tar-builder'
import { OCI_INDEX, serveImage, serveManifest, startHostileRegistry } from './fixtures/hostile-registry'
import { TEST_REGISTRY, tempDir } from './fixtures/temp-dirs'

const skip = process.getuid?.() !== 0 && 'needs root (layers keep ownership)'
const { os, architecture, variant } = hostPlatform()
const PLATFORM = variant === null ? { os, architecture } : { os, architecture, variant }
const LAYER = [{ name: 'evil', data: 'served by a lying registry' }]

function assertNothingKept(t: Test, store: ImageStore): void {
  t.same(store.listImages(), [], 'no image recorded')
  t.same(readdirSync(join(store.root, 'layers/sha256')), [], 'no layer unpacked')
  t.same(readdirSync(join(store.root, 'tmp')), [], 'no temp file left')
}

t.test('a digest other than sha256 is refused, not taken on trust', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest } = serveImage(registry, 'evil/app', LAYER)
  const sha512 = `sha512:${'ab'.repeat(64)}`
  serveManifest(registry, 'evil/app', sha512, manifest)
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app@${sha512}`), TEST_REGISTRY), { message: new RegExp(`"${sha512}": only sha256 digests are supported`) })
  assertNothingKept(t, store)
})

t.test('an index entry naming its manifest by another algorithm is refused', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest } = serveImage(registry, 'evil/app', LAYER)
  const sha512 = `sha512:${'cd'.repeat(64)}`
  serveManifest(registry, 'evil/app', sha512, manifest)
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha512, size: manifest.length, platform: PLATFORM }] }))
  serveManifest(registry, 'evil/app', '1', index, OCI_INDEX)
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { message: /only sha256 digests are supported/ })
  assertNothingKept(t, store)
})

t.test('an index entry whose manifest is not the size it gives is refused', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest, digest } = serveImage(registry, 'evil/app', LAYER)
  serveManifest(registry, 'evil/app', digest, manifest)
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length - 1, platform: PLATFORM }] }))
  serveManifest(registry, 'evil/app', '1', index, OCI_INDEX)
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { message: new RegExp(`verify manifest "${digest}": ${manifest.length} bytes where the index gives ${manifest.length - 1}`) })
  assertNothingKept(t, store)
})

t.test('a manifest served for a sha256 digest it does not have is refused', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest } = serveImage(registry, 'evil/app', LAYER)
  const claimed = sha256('something else')
  serveManifest(registry, 'evil/app', claimed, manifest)
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app@${claimed}`), TEST_REGISTRY), { message: new RegExp(`verify manifest "${claimed}": content has digest "${sha256(manifest)}"`) })
  assertNothingKept(t, store)
})

t.test('a blob cut short names the blob and leaves no temp file', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest, layerDigest } = serveImage(registry, 'evil/app', LAYER)
  serveManifest(registry, 'evil/app', '1', manifest)
  const blob = `/v2/evil/app/blobs/${layerDigest}`
  registry.routes.set(blob, { ...registry.routes.get(blob), isCutShort: true })
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { message: `fetch blob "${layerDigest}"`, cause: { code: 'ECONNRESET' } })
  t.notOk(store.hasBlob(layerDigest))
  assertNothingKept(t, store)
})

t.test('a token service that answers no JSON is named', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  registry.routes.set('/v2/evil/app/manifests/1', { status: 401, headers: { 'WWW-Authenticate': `Bearer realm="http://${registry.host}/token",service="evil"` } })
  registry.routes.set('/token', { headers: { 'Content-Type': 'text/html' }, body: '<html>login</html>' })
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { name: 'RegistryError', message: `fetch token from "http://${registry.host}/token": the response is not JSON` })
})

t.test('a challenge whose realm is no http(s) URL is named', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  for (const realm of ['not a url', 'file:///etc/passwd']) {
    registry.routes.set('/v2/evil/app/manifests/1', { status: 401, headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` } })
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { name: 'RegistryError', message: `authenticate to "${registry.host}": the challenge's realm "${realm}" is not an http(s) URL` })
  }
})

t.test('a blob longer than its descriptor says is cut off and refused', { skip }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest, layerDigest } = serveImage(registry, 'evil/app', LAYER)
  serveManifest(registry, 'evil/app', '1', manifest)
  const blob = `/v2/evil/app/blobs/${layerDigest}`
  const body = Buffer.from(registry.routes.get(blob)!.body!)
  registry.routes.set(blob, { body: Buffer.concat([body, Buffer.alloc(1 << 20)]) })
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/evil/app:1`), TEST_REGISTRY), { message: `fetch blob "${layerDigest}": more than the ${body.length} bytes the manifest gives` })
  assertNothingKept(t, store)
})
