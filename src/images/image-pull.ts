// Fetches one image into the store from any source (registry, OCI layout,
// archive): manifest (an index resolved to the host platform), config,
// then each layer — skipped when its unpacked diff is already present, its
// blob fetched only when missing, every blob verified against its digest
// before it is kept. The record and names are written last, so an
// interrupted pull leaves only complete blobs and layers that a later pull
// reuses, never an image that looks complete.
import { createHash } from 'node:crypto'

import { type Descriptor, formatPlatform, hostPlatform, manifestKind, parseImageConfig, parseIndex, parseManifest, selectPlatform, type Platform } from './image-manifest'
import { LayerSizes } from './image-size'
import { type ImageRecord, type ImageStore, digestHex } from './store'
import { isoTimestamp } from '../utc-time'

export interface ManifestBytes {
  bytes: Buffer
  /** the Content-Type the source gave, if any */
  mediaType: string | null
}

export interface ImageFetcher {
  /** the manifest (or index) a tag or digest names */
  getManifest(reference: string): Promise<ManifestBytes>
  getBlob(descriptor: Descriptor, onBytes: (n: number) => void): Promise<AsyncIterable<Buffer>>
}

export type PullEvent =
  | { kind: 'resolved'; manifestDigest: string; layers: number }
  | { kind: 'layer'; digest: string; state: 'cached' | 'fetching' | 'unpacking' | 'done'; done: number; total: number }

export interface PullRequest {
  fetcher: ImageFetcher
  /** a tag or a digest */
  reference: string
  /** names to record the image under */
  names: string[]
  /** repository name for repoDigests, or null for local sources */
  repository: string | null
  platform?: Platform
  onEvent?: (event: PullEvent) => void
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/**
 * The manifest a tag or digest names. A digest (a tag cannot hold ':') must
 * be one this store can check, sha256, and the content must have it, and
 * the size a descriptor gives: otherwise the source could serve anything.
 */
async function verifiedManifest(fetcher: ImageFetcher, reference: string, expected?: { size: number; from: string }): Promise<ManifestBytes & { digest: string }> {
  const isDigest = reference.includes(':')
  if (isDigest) digestHex(reference)
  const manifest = await fetcher.getManifest(reference)
  const digest = sha256Digest(manifest.bytes)
  if (isDigest && digest !== reference) throw new Error(`verify manifest "${reference}": content has digest "${digest}"`)
  if (expected !== undefined && manifest.bytes.length !== expected.size) {
    throw new Error(`verify manifest "${reference}": ${manifest.bytes.length} bytes where the ${expected.from} gives ${expected.size}`)
  }
  return { ...manifest, digest }
}

export async function pullImage(store: ImageStore, req: PullRequest): Promise<ImageRecord> {
  const platform = req.platform ?? hostPlatform()
  const emit = req.onEvent ?? (() => undefined)
  let manifest = await verifiedManifest(req.fetcher, req.reference)
  const repoDigests: string[] = []
  if (manifestKind(manifest.bytes, manifest.mediaType) === 'index') {
    await store.writeBlob(manifest.digest, manifest.bytes)
    if (req.repository !== null) repoDigests.push(`${req.repository}@${manifest.digest}`)
    const chosen = selectPlatform(parseIndex(manifest.bytes), platform)
    manifest = await verifiedManifest(req.fetcher, chosen.digest, { size: chosen.size, from: 'index' })
    if (manifestKind(manifest.bytes, manifest.mediaType) !== 'manifest') throw new Error(`resolve "${chosen.digest}" for "${formatPlatform(platform)}": nested indexes are not supported`)
  } else if (req.repository !== null) {
    repoDigests.push(`${req.repository}@${manifest.digest}`)
  }
  await store.writeBlob(manifest.digest, manifest.bytes)
  const parsed = parseManifest(manifest.bytes)
  emit({ kind: 'resolved', manifestDigest: manifest.digest, layers: parsed.layers.length })

  if (!store.hasBlob(parsed.config.digest)) {
    await store.writeBlob(parsed.config.digest, await req.fetcher.getBlob(parsed.config, () => undefined), parsed.config.size)
  }
  const config = parseImageConfig(store.readBlob(parsed.config.digest))
  if (config.diffIds.length !== parsed.layers.length) {
    throw new Error(`check image "${manifest.digest}": the manifest has ${parsed.layers.length} layers but the config ${config.diffIds.length} diff IDs`)
  }
  for (const [i, layer] of parsed.layers.entries()) {
    const diffId = config.diffIds[i]
    const total = layer.size
    if (store.hasLayer(diffId)) {
      emit({ kind: 'layer', digest: layer.digest, state: 'cached', done: total, total })
      continue
    }
    if (!store.hasBlob(layer.digest)) {
      let done = 0
      emit({ kind: 'layer', digest: layer.digest, state: 'fetching', done, total })
      const body = await req.fetcher.getBlob(layer, (n) => {
        done += n
        emit({ kind: 'layer', digest: layer.digest, state: 'fetching', done, total })
      })
      await store.writeBlob(layer.digest, body, layer.size)
    }
    emit({ kind: 'layer', digest: layer.digest, state: 'unpacking', done: total, total })
    await store.unpackLayer(layer.digest, diffId)
    emit({ kind: 'layer', digest: layer.digest, state: 'done', done: total, total })
  }
  const previous = store.getImage(parsed.config.digest)
  // measured once: a layer any stored image has (a shared base, a pull with imagePullPolicy Always) is not walked again
  const sizes = new LayerSizes(store, store.listImages())
  const record: ImageRecord = {
    id: parsed.config.digest,
    manifestDigest: manifest.digest,
    repoDigests: [...new Set([...(previous?.repoDigests ?? []), ...repoDigests])],
    layers: parsed.layers.map((l, i) => ({
      digest: l.digest, diffId: config.diffIds[i], size: l.size, mediaType: l.mediaType,
      unpackedSize: sizes.of(config.diffIds[i]),
    })),
    config: config.config,
    platform: config.platform,
    created: config.created,
    storedAt: isoTimestamp(new Date()),
  }
  store.putImage(record, [...req.names, ...repoDigests])
  return record
}
