// Image references as users write them: Docker/Kubernetes names
// (`busybox` → `docker.io/library/busybox:latest`, `host:5000/a/b:tag`,
// `name@sha256:…`), and the transports of containers/image (`oci:DIR[:TAG]`,
// `oci-archive:FILE[:TAG]`, `docker-archive:FILE`, `docker://REF`). Pure:
// the grammar follows distribution/reference (reference.go, normalize.go).
import { posix } from 'node:path'
import { ImageError } from './resolver'

export const DEFAULT_DOMAIN = 'docker.io'
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io'
const OFFICIAL_REPO_PREFIX = 'library/'
const NAME_TOTAL_LENGTH_MAX = 255

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$/
const IPV6_DOMAIN = /^\[[a-fA-F0-9:]+\](?::[0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/

/** A registry image: domain, repository path, and a tag and/or digest. */
export interface DockerReference {
  domain: string
  path: string
  tag: string | null
  digest: string | null
}

export type ImageSource =
  | { transport: 'docker'; ref: DockerReference }
  | { transport: 'oci'; dir: string; tag: string | null }
  | { transport: 'oci-archive'; file: string; tag: string | null }
  | { transport: 'docker-archive'; file: string; ref: DockerReference | null }

function invalid(image: string, why: string): ImageError {
  return new ImageError(`parse image reference "${image}": ${why}`, 'InvalidImageName')
}

/** distribution/reference ParseNormalizedNamed, with `:latest` added when neither tag nor digest is given. */
export function parseDockerReference(image: string): DockerReference {
  if (image === '') throw invalid(image, 'reference is empty')
  if (image !== image.trim()) throw invalid(image, 'reference has surrounding white space')
  let rest = image
  let digest: string | null = null
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw invalid(image, `digest "${digest}" is malformed`)
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) throw invalid(image, `digest "${digest}" is not 64 lower-case hex characters`)
  }
  let tag: string | null = null
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) throw invalid(image, `tag "${tag}" is malformed`)
  }
  const { domain, path } = splitDomain(image, rest)
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) throw invalid(image, `repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`)
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const why = /[A-Z]/.test(component) ? 'must be lower case' : 'has characters a repository name may not have'
      throw invalid(image, `repository component "${component}" ${why}`)
    }
  }
  if (tag === null && digest === null) tag = 'latest'
  return { domain, path, tag, digest }
}

function splitDomain(image: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/')
  const first = slash < 0 ? '' : name.slice(0, slash)
  // as normalize.go: the first component is a registry if it looks like a host
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  if (!isDomain) {
    const path = slash < 0 ? OFFICIAL_REPO_PREFIX + name : name
    return { domain: DEFAULT_DOMAIN, path }
  }
  if (!DOMAIN.test(first) && !IPV6_DOMAIN.test(first)) throw invalid(image, `registry host "${first}" is malformed`)
  let domain = first
  let path = name.slice(slash + 1)
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path
  if (path === '') throw invalid(image, 'repository name is empty')
  return { domain, path }
}

/** `docker.io/library/busybox:1.36@sha256:…` */
export function formatDockerReference(ref: DockerReference): string {
  let s = `${ref.domain}/${ref.path}`
  if (ref.tag !== null) s += `:${ref.tag}`
  if (ref.digest !== null) s += `@${ref.digest}`
  return s
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: DockerReference): string {
  return `${ref.domain}/${ref.path}`
}

/** The short form `docker images` shows: `busybox:latest`, `quay.io/x/y:1`. */
export function familiarName(ref: DockerReference): string {
  let name = repositoryName(ref)
  if (ref.domain === DEFAULT_DOMAIN) name = ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path
  if (ref.tag !== null) name += `:${ref.tag}`
  if (ref.digest !== null) name += `@${ref.digest}`
  return name
}

/**
 * Parse `image:` or a CLI argument. Without a transport it is a registry
 * reference, as Kubernetes has it; `docker://` says so explicitly.
 */
export function parseImageSource(image: string): ImageSource {
  const colon = image.indexOf(':')
  const transport = colon < 0 ? '' : image.slice(0, colon)
  const rest = image.slice(colon + 1)
  switch (transport) {
    case 'docker':
      if (!rest.startsWith('//')) throw invalid(image, 'the docker transport is written "docker://NAME"')
      return { transport: 'docker', ref: parseDockerReference(rest.slice(2)) }
    case 'oci':
    case 'oci-archive': {
      // as containers/image layout: the path ends at the first ':' (paths with ':' are not supported)
      const sep = rest.indexOf(':')
      const path = sep < 0 ? rest : rest.slice(0, sep)
      const tag = sep < 0 ? null : rest.slice(sep + 1)
      if (path === '') throw invalid(image, `the ${transport} transport needs a path`)
      if (tag !== null && !/^[A-Za-z0-9._/@:+-]+$/.test(tag)) throw invalid(image, `layout reference "${tag}" is malformed`)
      return transport === 'oci' ? { transport, dir: path, tag } : { transport, file: path, tag }
    }
    case 'docker-archive': {
      const sep = rest.indexOf(':')
      const file = sep < 0 ? rest : rest.slice(0, sep)
      if (file === '') throw invalid(image, 'the docker-archive transport needs a file')
      return { transport, file, ref: sep < 0 ? null : parseDockerReference(rest.slice(sep + 1)) }
    }
    default:
      return { transport: 'docker', ref: parseDockerReference(image) }
  }
}

/** The name an image from this source is recorded under in the store. */
/**
 * The source with its path absolute, taken from cwd: a layout or archive is
 * stored under its name, and `oci-archive:ctr.tar` from two directories is
 * two images (as skopeo and podman resolve such paths).
 */
export function absoluteSource(source: ImageSource, cwd: string): ImageSource {
  switch (source.transport) {
    case 'docker': return source
    case 'oci': return { ...source, dir: posix.resolve(cwd, source.dir) }
    case 'oci-archive':
    case 'docker-archive': return { ...source, file: posix.resolve(cwd, source.file) }
  }
}

/**
 * A stored name that names the image by its digest, `repository@sha256:<hex>`
 * (what a pull by digest records); a transport name is never one, whatever
 * "@" its path holds (`docker-archive:/tmp/at@dir/u.tar`).
 */
export function isDigestName(name: string): boolean {
  if (/^(docker|oci|oci-archive|docker-archive):/.test(name)) return false
  const at = name.indexOf('@')
  return at > 0 && SHA256_DIGEST.test(name.slice(at + 1))
}

export function sourceName(source: ImageSource): string {
  switch (source.transport) {
    case 'docker': return formatDockerReference(source.ref)
    case 'oci': return `oci:${source.dir}${source.tag === null ? '' : `:${source.tag}`}`
    case 'oci-archive': return `oci-archive:${source.file}${source.tag === null ? '' : `:${source.tag}`}`
    case 'docker-archive': return source.ref === null ? `docker-archive:${source.file}` : formatDockerReference(source.ref)
  }
}
