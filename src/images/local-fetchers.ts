// ImageFetchers for images a user has as files: an OCI image layout (a
// directory for `oci:`, or a tar of one for `oci-archive:`) and the
// `docker save` format (`docker-archive:`: manifest.json + config + layer
// tars, which has no distribution manifest, so one is synthesised from
// digests computed here). Formats: OCI image-layout.md; moby image/spec
// "Combined Image JSON + Filesystem Changeset Format".
import { createHash } from 'node:crypto'

import type { BlobSource } from './blob-source'
import { type Descriptor, MEDIA_TYPES } from './image-manifest'
import type { ImageFetcher, ManifestBytes } from './image-pull'
import { digestHex } from './store'
import { familiarName, formatDockerReference, parseDockerReference } from './reference'

const REF_NAME = 'org.opencontainers.image.ref.name'

function blobPath(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`
}

/** a JSON file of a local image, parsed; errors name the file and its source */
function readJson(source: BlobSource, path: string): unknown {
  const text = source.readAll(path).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new Error(`parse "${path}" in ${source.description}: not JSON`, { cause: err })
  }
}

function layoutIndex(source: BlobSource): Descriptor[] {
  if (!source.has('index.json') || !source.has('oci-layout')) throw new Error(`read OCI layout in ${source.description}: "oci-layout" or "index.json" is missing`)
  const doc = readJson(source, 'index.json') as { manifests?: unknown } | null
  const invalid = (why: string): Error => new Error(`parse "index.json" in ${source.description}: ${why}`)
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.manifests)) throw invalid('"manifests" is not a list')
  return doc.manifests.map((m: Partial<Descriptor> | null, i) => {
    if (typeof m?.mediaType !== 'string' || typeof m.digest !== 'string' || typeof m.size !== 'number') throw invalid(`manifests[${i}] needs mediaType, digest and size`)
    return m as Descriptor
  })
}

/** the digest a layout's tag names (or its only image when no tag is given) */
export function layoutManifestDigest(source: BlobSource, tag: string | null): Descriptor {
  const manifests = layoutIndex(source)
  if (tag === null) {
    if (manifests.length === 1) return manifests[0]
    throw new Error(`choose image in ${source.description}: it holds ${manifests.length} images, name one with ":TAG"`)
  }
  const byName = manifests.find((m) => m.annotations?.[REF_NAME] === tag)
  if (byName !== undefined) return byName
  const byDigest = manifests.find((m) => m.digest === tag)
  if (byDigest !== undefined) return byDigest
  const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter((t) => t !== undefined)
  throw new Error(`find "${tag}" in ${source.description}: it has only ${tags.map((t) => `"${t}"`).join(', ') || 'untagged images'}`)
}

export function ociLayoutFetcher(source: BlobSource): ImageFetcher {
  const types = new Map(layoutIndex(source).map((m) => [m.digest, m.mediaType]))
  return {
    async getManifest(reference: string): Promise<ManifestBytes> {
      return { bytes: source.readAll(blobPath(reference)), mediaType: types.get(reference) ?? null }
    },
    async getBlob(descriptor: Descriptor, onBytes: (n: number) => void): Promise<AsyncIterable<Buffer>> {
      return counting(source.stream(blobPath(descriptor.digest)), onBytes)
    },
  }
}

async function* counting(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length)
    yield chunk
  }
}

interface DockerArchiveEntry {
  Config: string
  RepoTags?: string[] | null
  Layers: string[]
}

async function digestOf(source: AsyncIterable<Buffer>): Promise<{ digest: string; size: number; isGzip: boolean }> {
  const hash = createHash('sha256')
  let size = 0
  let isGzip: boolean | null = null
  for await (const chunk of source) {
    isGzip ??= chunk[0] === 0x1f && chunk[1] === 0x8b
    hash.update(chunk)
    size += chunk.length
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, isGzip: isGzip === true }
}

/** A fetcher over a `docker save` archive; `reference` picks one of several images by its RepoTags. */
export async function dockerArchiveFetcher(source: BlobSource, reference: string | null): Promise<{ fetcher: ImageFetcher; manifestDigest: string; repoTags: string[] }> {
  if (!source.has('manifest.json')) throw new Error(`read docker archive ${source.description}: "manifest.json" is missing`)
  const entries = readJson(source, 'manifest.json') as DockerArchiveEntry[]
  const invalid = (why: string): Error => new Error(`parse "manifest.json" in ${source.description}: ${why}`)
  if (!Array.isArray(entries)) throw invalid('not a list')
  const isNames = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string')
  for (const [i, e] of entries.entries()) {
    if (typeof e?.Config !== 'string' || !isNames(e.Layers)) throw invalid(`[${i}] needs "Config" (a file name) and "Layers" (a list of file names)`)
    if (e.RepoTags !== undefined && e.RepoTags !== null && !isNames(e.RepoTags)) throw invalid(`[${i}] "RepoTags" is not a list of names`)
  }
  let entry: DockerArchiveEntry | undefined
  if (reference === null) {
    if (entries.length !== 1) throw new Error(`choose image in ${source.description}: it holds ${entries.length} images, name one with ":NAME:TAG"`)
    entry = entries[0]
  } else {
    const want = formatDockerReference(parseDockerReference(reference))
    entry = entries.find((e) => (e.RepoTags ?? []).some((t) => formatDockerReference(parseDockerReference(t)) === want))
    if (entry === undefined) throw new Error(`find "${familiarName(parseDockerReference(reference))}" in ${source.description}: no image has that tag`)
  }
  const configBytes = source.readAll(entry.Config)
  const paths = new Map<string, string>([[`sha256:${createHash('sha256').update(configBytes).digest('hex')}`, entry.Config]])
  const layers: Descriptor[] = []
  for (const path of entry.Layers) {
    const { digest, size, isGzip } = await digestOf(source.stream(path))
    paths.set(digest, path)
    layers.push({ mediaType: isGzip ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.docker.image.rootfs.diff.tar', digest, size })
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: [...paths.keys()][0], size: configBytes.length },
    layers,
  }))
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
  const fetcher: ImageFetcher = {
    async getManifest(): Promise<ManifestBytes> {
      return { bytes: manifest, mediaType: MEDIA_TYPES.dockerManifest }
    },
    async getBlob(descriptor: Descriptor, onBytes: (n: number) => void): Promise<AsyncIterable<Buffer>> {
      const path = paths.get(descriptor.digest)
      if (path === undefined) throw new Error(`read blob "${descriptor.digest}" in ${source.description}: not in the archive`)
      return counting(source.stream(path), onBytes)
    },
  }
  return { fetcher, manifestDigest, repoTags: entry.RepoTags ?? [] }
}
