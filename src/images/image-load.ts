// `podshim image load`: every image of an OCI layout, an OCI archive or a
// `docker save` archive into the store, as `docker load` and `ctr images
// import` load them (one named with ":TAG" or ":NAME:TAG": that one only).
// Each image is named by the names it carries (local-names.ts). An archive
// of one image is also named by its transport name, as a pod's `image:
// docker-archive:FILE` names it; in a layout of several, an image is named
// `oci-archive:FILE:REF` by its ref.name, again as a pod names it, and an
// image with no name at all is stored untagged, as docker leaves one. A
// name that is the built-in image's is never given (host-image.ts). An
// archive given without a transport (or on stdin) is told by its members;
// one on stdin or a pipe has no transport name. The archive is opened
// once, a layer several images share is hashed once and stored once, and
// a `docker save` archive that lacks a member its manifest.json names is
// refused before anything is loaded.
import { join } from 'node:path'

import { ArchiveSource, type BlobSource, DirSource } from './blob-source'
import { withoutHostImage } from './host-image'
import { markPulling } from './image-holds'
import { type ImageFetcher, pullImage } from './image-pull'
import { type DockerArchiveEntry, type LayerDigests, dockerArchiveEntries, dockerImageFetcher, findDockerEntry, layoutIndex, layoutManifestDigest, ociLayoutFetcher } from './local-fetchers'
import { REF_NAME, imageNames, layoutImageNames } from './local-names'
import type { PullProgress } from './pull-progress'
import { type ImageSource, familiarName, formatDockerReference, parseDockerReference, sourceName } from './reference'
import type { ImageRecord, ImageStore } from './store'

export type LocalSource = Extract<ImageSource, { transport: 'oci' | 'oci-archive' | 'docker-archive' }>

/** what `image load` takes: a local source, or an archive ("-": stdin) of either kind, told by its members */
export type LoadSource = LocalSource | { transport: 'archive'; file: string; isNamed: boolean }

export interface LoadedImage {
  record: ImageRecord
  /** the names the image carries, normalised (none for an untagged one) */
  carried: string[]
  /** every name it is stored under */
  names: string[]
  /** names it carries that are the built-in image's, which it is not given */
  refused: string[]
}

/** one image of the source, before it is loaded */
interface Planned {
  carried: string[]
  names: string[]
  refused: string[]
  fetch(): Promise<{ fetcher: ImageFetcher; reference: string }>
}

/** Loads the source's images one by one, yielding each once it is stored; stops at the first that fails. */
export async function* loadImages(store: ImageStore, given: LoadSource, progress?: PullProgress): AsyncGenerator<LoadedImage> {
  const unmark = markPulling(store.root)
  let blobs: BlobSource | null = null
  try {
    let source: LocalSource
    let isNamed = true
    if (given.transport === 'oci') {
      blobs = new DirSource(given.dir)
      source = given
    } else {
      const archive = await ArchiveSource.open(given.file, join(store.root, 'tmp'))
      blobs = archive
      if (given.transport !== 'archive') source = given
      else source = archive.kind === 'docker-archive' ? { transport: 'docker-archive', file: given.file, ref: null } : { transport: 'oci-archive', file: given.file, tag: null }
      isNamed = given.transport !== 'archive' || given.isNamed
    }
    const planned = source.transport === 'docker-archive' ? planDockerArchive(blobs, source, isNamed) : planLayout(blobs, source, isNamed)
    for (const [i, image] of planned.entries()) {
      const name = nameOf(image)
      const label = name ?? `image ${i + 1}`
      let record: ImageRecord
      try {
        const { fetcher, reference } = await image.fetch()
        record = await pullImage(store, { fetcher, reference, names: image.names, repository: null, onEvent: progress?.forImage(label) })
      } catch (err) {
        if (planned.length === 1) throw err
        throw new Error(`load image ${i + 1} of ${planned.length}${name === null ? '' : ` ("${name}")`} from ${blobs.description}`, { cause: err })
      } finally {
        progress?.finish(label)
      }
      yield { record, carried: image.carried, names: image.names, refused: image.refused }
    }
  } finally {
    blobs?.close()
    unmark()
  }
}

/** what `docker load` prints for an image: its names, or its ID when it has none */
export function loadedLines(image: LoadedImage): string[] {
  if (image.carried.length > 0) return image.carried.map((n) => `Loaded image: ${familiarName(parseDockerReference(n))}`)
  if (image.names.length > 0) return image.names.map((n) => `Loaded image: ${n}`)
  return [`Loaded image ID: ${image.record.id}`]
}

/** the name an image is shown by: the first it carries as `docker images` shows it, else its transport name */
function nameOf(image: Planned): string | null {
  if (image.carried.length > 0) return familiarName(parseDockerReference(image.carried[0]))
  return image.names[0] ?? null
}

function planLayout(blobs: BlobSource, source: Extract<LocalSource, { transport: 'oci' | 'oci-archive' }>, isNamed: boolean): Planned[] {
  const manifests = source.tag === null ? layoutIndex(blobs) : [layoutManifestDigest(blobs, source.tag)]
  const fetcher = ociLayoutFetcher(blobs)
  return manifests.map((m) => {
    const refName = m.annotations?.[REF_NAME]
    const own = !isNamed ? null : source.tag !== null || manifests.length === 1 ? sourceName(source) : refName === undefined ? null : sourceName({ ...source, tag: refName })
    return { ...named(own, layoutImageNames(m)), fetch: async () => ({ fetcher, reference: m.digest }) }
  })
}

function planDockerArchive(blobs: BlobSource, source: Extract<LocalSource, { transport: 'docker-archive' }>, isNamed: boolean): Planned[] {
  const all = dockerArchiveEntries(blobs)
  const entries: DockerArchiveEntry[] = source.ref === null ? all : [findDockerEntry(blobs, all, formatDockerReference(source.ref))]
  const digests: LayerDigests = new Map()
  return entries.map((entry) => {
    const own = isNamed && (source.ref !== null || entries.length === 1) ? sourceName(source) : null
    return {
      ...named(own, imageNames(entry.RepoTags ?? [])),
      fetch: async () => {
        const { fetcher, manifestDigest } = await dockerImageFetcher(blobs, entry, digests)
        return { fetcher, reference: manifestDigest }
      },
    }
  })
}

/** the names an image carries and is stored under: its own (transport) name and those it carries, but the built-in image's */
function named(own: string | null, given: string[]): Pick<Planned, 'carried' | 'names' | 'refused'> {
  const { names: carried, refused } = withoutHostImage(given)
  return { carried, names: [...new Set(own === null ? carried : [own, ...carried])], refused }
}
