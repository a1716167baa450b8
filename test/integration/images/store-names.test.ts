// How the resolver finds a stored image by the name a pod gives it: a
// reference with both a tag and a digest is the image of that digest, as
// containerd resolves it, whichever image the tag names in the store; and
// a pull by both records only the digest, as containerd's ParseDockerRef
// drops the tag.
import t from 'tap'

import { parseImageSource } from '../../../src/images/reference'
import { type ImageRecord, ImageStore } from '../../../src/images/store'
import { fetchSource, findStored } from '../../../src/images/store-resolver'
import { serveImage, serveManifest, startHostileRegistry } from './fixtures/hostile-registry'
import { TEST_REGISTRY, tempDir } from './fixtures/temp-dirs'

function record(hex: string, manifestHex: string): ImageRecord {
  return {
    id: `sha256:${hex.repeat(64)}`, manifestDigest: `sha256:${manifestHex.repeat(64)}`, repoDigests: [`docker.io/library/busybox@sha256:${manifestHex.repeat(64)}`],
    layers: [], config: { entrypoint: [], cmd: ['sh'], env: [], workingDir: '', user: '', stopSignal: 'SIGTERM' }, platform: 'linux/amd64', created: null, storedAt: '2024-01-01T00:00:00Z',
  }
}

t.test('a tag and a digest find the image of the digest', async (t) => {
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const old = record('a', 'b')
  const current = record('c', 'd')
  store.putImage(old, ['docker.io/library/busybox:1.36', ...old.repoDigests])
  store.putImage(current, ['docker.io/library/busybox:1.36', ...current.repoDigests])
  t.equal(findStored(store, parseImageSource(`busybox:1.36@sha256:${'b'.repeat(64)}`))?.id, old.id, 'the digest wins over where the tag points now')
  t.equal(findStored(store, parseImageSource(`busybox:1.36@sha256:${'d'.repeat(64)}`))?.id, current.id)
  t.equal(findStored(store, parseImageSource(`busybox:1.36@sha256:${'e'.repeat(64)}`)), null, 'a digest not stored is not present')
  t.equal(findStored(store, parseImageSource('busybox:1.36'))?.id, current.id)
})

t.test('a pull by tag and digest records the digest, not the tag', { skip: process.getuid?.() !== 0 && 'needs root (layers keep ownership)' }, async (t) => {
  const registry = await startHostileRegistry(t)
  const { manifest, digest } = serveImage(registry, 'lib/app', [{ name: 'f', data: 'x' }])
  serveManifest(registry, 'lib/app', digest, manifest)
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const pulled = await fetchSource(store, parseImageSource(`${registry.host}/lib/app:1.0@${digest}`), TEST_REGISTRY)
  t.same(store.namesOf(pulled.id), [`${registry.host}/lib/app@${digest}`], 'the tag may name another image in the registry')
  t.equal(findStored(store, parseImageSource(`${registry.host}/lib/app:1.0@${digest}`))?.id, pulled.id)
  t.equal(findStored(store, parseImageSource(`${registry.host}/lib/app:1.0`)), null)
})
