// Maps a container's `image:` to a root filesystem and an image config
// (Entrypoint/Cmd/Env/WorkingDir/User), as a CRI image service would. The
// supervisor only sees this interface, so image sources can be added
// (OCI layouts, archives, registries) without touching it.
import type { RootEntry } from '../sandbox/container-plan'

export interface ImageConfig {
  entrypoint: string[]
  cmd: string[]
  /** KEY=value, as in an OCI image config */
  env: string[]
  workingDir: string
  user: string
  stopSignal: string
}

export interface ResolvedImage {
  /** the reference as the user wrote it and its canonical form */
  ref: string
  imageId: string
  config: ImageConfig
  /** what the container's new root is built from */
  entries: RootEntry[]
  /** host path whose contents the container sees at / (for PATH lookups), or null */
  lookupRoot: string
}

export interface ImageResolver {
  /** Resolve (and, for later sources, pull) an image; throws ImageError with a Kubernetes waiting reason. */
  resolve(image: string): ResolvedImage
}

/** Kubernetes waiting reasons for image failures (pkg/kubelet/images/types.go). */
export type ImageErrorReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'

export class ImageError extends Error {
  constructor(message: string, readonly reason: ImageErrorReason) {
    super(message)
    this.name = 'ImageError'
  }
}
