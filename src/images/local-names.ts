// The image names a local image carries, as `docker load` and `ctr images
// import` take them: a `docker save` archive's RepoTags; in an OCI layout,
// containerd's io.containerd.image.name and an
// org.opencontainers.image.ref.name that is a full name (docker 25+ and
// skopeo write one; "v1" or "latest" alone is only a tag within the
// layout). Normalised as a pod's `image:` is (`my/ep:1` is
// `docker.io/my/ep:1`), so a pod finds what was loaded. Pure.
import type { Descriptor } from './image-manifest'
import { formatDockerReference, parseDockerReference } from './reference'

/** containerd's annotation of an exported image's full name (ctr images export/import) */
export const CONTAINERD_IMAGE_NAME = 'io.containerd.image.name'
export const REF_NAME = 'org.opencontainers.image.ref.name'

/** The names, normalised and without repeats; one that is not an image name is left out. */
export function imageNames(given: readonly (string | undefined)[]): string[] {
  const names: string[] = []
  for (const name of given) {
    if (name === undefined || name === '') continue
    try {
      names.push(formatDockerReference(parseDockerReference(name)))
    } catch {
      // not an image name: the image keeps the names it has besides
    }
  }
  return [...new Set(names)]
}

/** The image names an OCI layout's index gives one of its images. */
export function layoutImageNames(manifest: Descriptor): string[] {
  const refName = manifest.annotations?.[REF_NAME]
  // a tag has neither "/" nor ":"; a name with a tag or a registry has one of them
  const isFullName = refName !== undefined && /[/:]/.test(refName)
  return imageNames([manifest.annotations?.[CONTAINERD_IMAGE_NAME], isFullName ? refName : undefined])
}
