// Maps a container's `image:` to a root filesystem and an image config
// (Entrypoint/Cmd/Env/WorkingDir/User), as a CRI image service would. The
// supervisor only sees this interface, so image sources can be added
// (OCI layouts, archives, registries) without touching it.
import type { RootEntry } from '../sandbox/container-plan'
import { formatGoDuration } from '../go-duration'

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
  /**
   * The container status's `image` and `imageID`, as containerd's CRI
   * ContainerStatus gives them: the image's first repository:tag (else the
   * image as written), and its first repository@digest (else its ID).
   */
  statusImage: string
  imageRef: string
  config: ImageConfig
  /** what the container's new root is built from */
  rootfs: ImageRootfs
  /** host path whose contents the container sees at / (for PATH lookups), or null */
  lookupRoot: string
  /** set when this resolve pulled (rather than found the image present): how long it waited for the pull */
  pulled?: { durationMs: number }
}

/** kubelet's Pulled event message (pkg/kubelet/images/image_manager.go), the pull truncated to milliseconds */
export function pulledMessage(image: string, pulled: ResolvedImage['pulled']): string {
  return pulled === undefined
    ? `Container image "${image}" already present on machine`
    : `Successfully pulled image "${image}" in ${formatGoDuration(pulled.durationMs)}`
}

/**
 * The root a container starts from: entries laid on a fresh tmpfs (the
 * built-in host view), or unpacked layers stacked by overlayfs, lowest first,
 * under a writable upper directory of the container's own.
 */
export type ImageRootfs =
  | { kind: 'entries'; entries: RootEntry[] }
  | { kind: 'overlay'; layers: string[] }

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never'

export interface ImageResolver {
  /**
   * Resolve an image, pulling it as the policy says; throws ImageError with a
   * Kubernetes waiting reason. `onProgress` reports pulls for the terminal.
   */
  resolve(image: string, policy: PullPolicy, onProgress?: (message: string) => void): Promise<ResolvedImage>
  /** the images running pods use (a prune never removes them) are held until released */
  release?(image: ResolvedImage): void
}

/** Kubernetes waiting reasons for image failures (pkg/kubelet/images/types.go). */
export type ImageErrorReason = 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName'

export class ImageError extends Error {
  constructor(message: string, readonly reason: ImageErrorReason, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ImageError'
  }
}
