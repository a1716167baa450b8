// The resolver `podshim run` uses: `podshim/host` goes to the built-in
// image, everything else to the store, pulled (or loaded from a file) as
// imagePullPolicy says, as kubelet's image manager does: Never uses only
// what is present (ErrImageNeverPull), IfNotPresent pulls when absent,
// Always asks the source every time (layers already present are never
// fetched again). Parse failures are InvalidImageName, pull failures
// ErrImagePull; the supervisor turns repeated ones into ImagePullBackOff.
import { ArchiveSource, type BlobSource, DirSource } from './blob-source'
import { refusedNameWarning } from './builtin-image'
import { withoutHostImage } from './host-image'
import { holdImageIfPresent, markPulling, releaseImage } from './image-holds'
import { type PullEvent, pullImage } from './image-pull'
import type { PullProgress } from './pull-progress'
import { lookupView } from './image-views'
import { dockerArchiveFetcher, layoutManifestDigest, ociLayoutFetcher } from './local-fetchers'
import { imageNames, layoutImageNames } from './local-names'
import { type ImageSource, absoluteSource, formatDockerReference, parseDockerReference, parseImageSource, repositoryName, sourceName } from './reference'
import { RegistryFetcher, type RegistryOptions } from './registry-client'
import { ImageError, type ImageResolver, type PullPolicy, type ResolvedImage } from './resolver'
import { type ImageRecord, ImageStore } from './store'
import { monotonicNowMs } from '../supervisor/clock'
import { join } from 'node:path'

/**
 * Fetch an image from its source into the store, under the name sourceName()
 * gives it and those a local image carries, but the built-in image's: each
 * of those is left out and given to onWarning.
 */
export async function fetchSource(store: ImageStore, source: ImageSource, registry: RegistryOptions, onEvent?: (e: PullEvent) => void, onWarning?: (message: string) => void): Promise<ImageRecord> {
  const unmark = markPulling(store.root)
  let blobs: BlobSource | null = null
  try {
    switch (source.transport) {
      case 'docker': {
        const fetcher = new RegistryFetcher(source.ref, registry)
        // by digest the tag is not recorded: the registry's tag may name another image (containerd's ParseDockerRef drops it)
        const names = source.ref.tag === null || source.ref.digest !== null ? [] : [formatDockerReference(source.ref)]
        return await pullImage(store, { fetcher, reference: source.ref.digest ?? source.ref.tag!, names, repository: repositoryName(source.ref), onEvent })
      }
      case 'oci':
      case 'oci-archive': {
        blobs = source.transport === 'oci' ? new DirSource(source.dir) : await ArchiveSource.open(source.file, join(store.root, 'tmp'))
        const top = layoutManifestDigest(blobs, source.tag)
        // as `ctr images import`: the names the layout gives the image name it here too
        const { names, refused } = withoutHostImage([...new Set([sourceName(source), ...layoutImageNames(top)])])
        return warned(await pullImage(store, { fetcher: ociLayoutFetcher(blobs), reference: top.digest, names, repository: null, onEvent }), refused, onWarning)
      }
      case 'docker-archive': {
        blobs = await ArchiveSource.open(source.file, join(store.root, 'tmp'))
        const { fetcher, manifestDigest, repoTags } = await dockerArchiveFetcher(blobs, source.ref === null ? null : formatDockerReference(source.ref))
        // as `docker load`: the image is named by its RepoTags as well
        const { names, refused } = withoutHostImage([...new Set([sourceName(source), ...imageNames(repoTags)])])
        return warned(await pullImage(store, { fetcher, reference: manifestDigest, names, repository: null, onEvent }), refused, onWarning)
      }
      default:
        throw new Error(`pull "${sourceName(source)}": unknown transport`)
    }
  } finally {
    blobs?.close()
    unmark()
  }
}

function warned(record: ImageRecord, refused: string[], onWarning?: (message: string) => void): ImageRecord {
  for (const name of refused) onWarning?.(refusedNameWarning(name, record.id))
  return record
}

/** the stored image a source names, if present */
export function findStored(store: ImageStore, source: ImageSource): ImageRecord | null {
  // beside a digest a tag is only a label: the image is the digest's, recorded as repository@digest (as containerd resolves it)
  if (source.transport === 'docker' && source.ref.digest !== null) return store.findImage(formatDockerReference({ ...source.ref, tag: null }))
  return store.findImage(sourceName(source))
}

export interface StoreResolverOptions {
  dataRoot: string
  registry: RegistryOptions
  /** per-layer progress of pulls (`podshim run` on a terminal) */
  progress?: PullProgress
}

export class StoreImageResolver implements ImageResolver {
  private store: ImageStore | null = null
  /** one pull per name at a time in this process: a pod's containers often share an image */
  private readonly inFlight = new Map<string, Promise<ImageRecord>>()

  constructor(private readonly options: StoreResolverOptions) {}

  async resolve(image: string, policy: PullPolicy, onProgress?: (message: string) => void): Promise<ResolvedImage> {
    const source = absoluteSource(parseImageSource(image), process.cwd())
    const name = sourceName(source)
    this.store ??= new ImageStore(this.options.dataRoot)
    const store = this.store
    const record = findStored(store, source)
    if (policy === 'Never' && record === null) {
      // kubelet's message (pkg/kubelet/images/image_manager.go)
      throw new ImageError(`Container image "${image}" is not present with pull policy of Never`, 'ErrImageNeverPull')
    }
    if (policy === 'Always' || record === null) {
      // marked as pulling until the image is held, so no prune runs between the pull's end and the hold
      const unmark = markPulling(store.root)
      try {
        onProgress?.(`Pulling image "${image}"`)
        const startedMs = monotonicNowMs()
        let pull = this.inFlight.get(name)
        if (pull === undefined) {
          const progress = this.options.progress
          pull = fetchSource(store, source, this.options.registry, progress?.forImage(image)).finally(() => {
            this.inFlight.delete(name)
            progress?.finish(image)
          })
          this.inFlight.set(name, pull)
        }
        let pulled: ImageRecord
        try {
          pulled = await pull
        } catch (err) {
          throw new ImageError(`pull image "${image}"`, 'ErrImagePull', { cause: err })
        }
        return { ...this.toResolved(image, pulled), pulled: { durationMs: monotonicNowMs() - startedMs } }
      } finally {
        unmark()
      }
    }
    return this.toResolved(image, record)
  }

  release(image: ResolvedImage): void {
    if (this.store !== null && image.imageId.startsWith('sha256:')) releaseImage(this.store.root, image.imageId)
  }

  private toResolved(image: string, record: ImageRecord): ResolvedImage {
    const store = this.store!
    if (!holdImageIfPresent(store.root, record.id, () => store.getImage(record.id) !== null)) {
      throw new ImageError(`image "${image}" was removed from the store while the pod was starting`, 'ErrImagePull')
    }
    const layers = record.layers.map((l) => store.layerPath(l.diffId))
    try {
      return {
        ref: image, imageId: record.id, statusImage: statusImageName(image, store.namesOf(record.id)), imageRef: record.repoDigests[0] ?? record.id,
        config: record.config, rootfs: { kind: 'overlay', layers }, lookupRoot: lookupView(store.root, record.id, layers),
      }
    } catch (err) {
      throw new ImageError(`prepare image "${image}"`, 'ErrImagePull', { cause: err })
    }
  }
}

/**
 * containerd's ContainerStatus image: a repository:tag of the image (the
 * one the pod asked for when it is one; containerd takes the first of its
 * references), else the image as the pod wrote it.
 */
function statusImageName(image: string, names: readonly string[]): string {
  const tags = names.filter(isTagName)
  let asked: string | undefined
  try {
    asked = formatDockerReference(parseDockerReference(image))
  } catch {
    // a transport name (oci:…, docker-archive:…): not a repository:tag
  }
  if (asked !== undefined && tags.includes(asked)) return asked
  return tags[0] ?? image
}

function isTagName(name: string): boolean {
  try {
    const ref = parseDockerReference(name)
    return ref.tag !== null && ref.digest === null
  } catch {
    return false
  }
}
