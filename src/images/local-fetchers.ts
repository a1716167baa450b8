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
import { REF_NAME } from './local-names'

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

/** the images an OCI layout's index.json lists, checked for the fields a descriptor needs */
export function layoutIndex(source: BlobSource): Descriptor[] {
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

export interface DockerArchiveEntry {
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

/**
 * The images of a `docker save` archive, from its manifest.json, each
 * checked for the members it names: an archive that lacks one is refused
 * before any of its images is loaded.
 */
export function dockerArchiveEntries(source: BlobSource): DockerArchiveEntry[] {
  if (!source.has('manifest.json')) throw new Error(`read docker archive ${source.description}: "manifest.json" is missing`)
  const entries = readJson(source, 'manifest.json') as DockerArchiveEntry[]
  const invalid = (why: string): Error => new Error(`parse "manifest.json" in ${source.description}: ${why}`)
  if (!Array.isArray(entries)) throw invalid('not a list')
  const isNames = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string')
  for (const [i, e] of entries.entries()) {
    if (typeof e?.Config !== 'string' || !isNames(e.Layers)) throw invalid(`[${i}] needs "Config" (a file name) and "Layers" (a list of file names)`)
    if (e.RepoTags !== undefined && e.RepoTags !== null && !isNames(e.RepoTags)) throw invalid(`[${i}] "RepoTags" is not a list of names`)
    const missing = [e.Config, ...e.Layers].find((path) => !source.has(path))
    if (missing !== undefined) throw invalid(`[${i}] names "${missing}", which the archive lacks`)
  }
  return entries
}

/** A fetcher over a `docker save` archive; `reference` picks one of several images by its RepoTags. */
export async function dockerArchiveFetcher(source: BlobSource, reference: string | null): Promise<DockerImage> {
  const entries = dockerArchiveEntries(source)
  if (reference === null && entries.length !== 1) throw new Error(`choose image in ${source.description}: it holds ${entries.length} images, name one with ":NAME:TAG"`)
  const entry = reference === null ? entries[0] : findDockerEntry(source, entries, reference)
  return await dockerImageFetcher(source, entry, new Map())
}

/** the image of a `docker save` archive whose RepoTags have reference */
export function findDockerEntry(source: BlobSource, entries: DockerArchiveEntry[], reference: string): DockerArchiveEntry {
  const want = formatDockerReference(parseDockerReference(reference))
  const entry = entries.find((e) => (e.RepoTags ?? []).some((t) => formatDockerReference(parseDockerReference(t)) === want))
  if (entry === undefined) throw new Error(`find "${familiarName(parseDockerReference(reference))}" in ${source.description}: no image has that tag`)
  return entry
}

export interface DockerImage { fetcher: ImageFetcher; manifestDigest: string; repoTags: string[] }

/** a layer's digest by its member's name, so a layer several images of one archive share is read once */
export type LayerDigests = Map<string, Promise<{ digest: string; size: number; isGzip: boolean }>>

/**
 * A fetcher over one image of a `docker save` archive. The format has no
 * distribution manifest, so one is made from the digests of the config
 * and the layers as they are in the archive.
 */
export async function dockerImageFetcher(source: BlobSource, entry: DockerArchiveEntry, digests: LayerDigests): Promise<DockerImage> {
  const configBytes = source.readAll(entry.Config)
  const paths = new Map<string, string>([[`sha256:${createHash('sha256').update(configBytes).digest('hex')}`, entry.Config]])
  const layers: Descriptor[] = []
  for (const path of entry.Layers) {
    let pending = digests.get(path)
    if (pending === undefined) {
      pending = digestOf(source.stream(path))
      digests.set(path, pending)
    }
    const { digest, size, isGzip } = await pending
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
