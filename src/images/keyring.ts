// Which registry credentials an image's pull tries, and in what order, as
// kubelet's keyring chooses them (pkg/credentialprovider, BasicDockerKeyring):
// each entry of a docker config is keyed by its host and path (a scheme and
// a leading /v1/ or /v2/ are dropped, as docker's ResolveAuthConfig takes
// them as the bare host); the keys are tried most specific first (reverse
// sorted, so quay.io/coreos before quay.io); a key matches an image whose
// host has as many dot-separated parts, each matching the key's part as a
// glob (`*.azurecr.io`), the same port, and a path that begins with the
// key's. An image on Docker Hub with no key of its own takes the
// credentials of index.docker.io, the default registry's.
import type { RegistryAuths } from './registry-credentials'

/** Basic credentials (base64 of user:password) for one registry, and where they came from. */
export interface Credential {
  from: string
  basic: string
}

/** One docker config's registries, and where they came from. */
export interface KeyringSource {
  from: string
  auths: RegistryAuths
}

const DEFAULT_REGISTRY_KEY = 'index.docker.io'

/**
 * A location as kubelet parses it (ParseSchemelessURL): host (with its
 * port) and path. Split by hand: a WHATWG URL would take the `?` of a glob
 * for a query and refuse a `*` in a host, where Go's parser keeps both.
 */
function parseLocation(location: string): { host: string; path: string } | null {
  const rest = location.replace(/^https?:\/\//, '')
  const slash = rest.indexOf('/')
  const host = slash < 0 ? rest : rest.slice(0, slash)
  return host === '' ? null : { host: host.toLowerCase(), path: slash < 0 ? '' : rest.slice(slash) }
}

/** The keyring's key of a config entry: host, or host and path (without a leading /v1/ or /v2/). */
export function keyringKey(location: string): string | null {
  const parsed = parseLocation(location)
  if (parsed === null) return null
  const path = /^\/v[12]\//.test(parsed.path) ? parsed.path.slice(3) : parsed.path
  return path.length > 0 && path !== '/' ? `${parsed.host}${path}` : parsed.host
}

/** The basic credentials of one config entry, or null where it has none. */
function basicOf(entry: RegistryAuths[string]): string | null {
  if (entry.auth !== undefined && entry.auth !== '') return entry.auth
  if (entry.username !== undefined) return Buffer.from(`${entry.username}:${entry.password ?? ''}`).toString('base64')
  return null
}

/** filepath.Match of one host part: `*` and `?` within it, `[…]` classes (`[!…]` negated). */
function globMatches(glob: string, text: string): boolean {
  const pattern = glob.replace(/[.+^${}()|\\]/g, (m) => `\\${m}`).replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^')
  try {
    return new RegExp(`^${pattern}$`).test(text)
  } catch {
    // a malformed class, which filepath.Match refuses too
    return false
  }
}

/** URLsMatch: the same port, as many host parts each matching as a glob, and the image's path beginning with the key's. */
export function keyMatches(key: string, image: string): boolean {
  const glob = parseLocation(key)
  const target = parseLocation(image)
  if (glob === null || target === null) return false
  const split = (host: string): [string[], string] => {
    const colon = host.lastIndexOf(':')
    const isPort = colon > host.lastIndexOf(']')
    return [(isPort ? host.slice(0, colon) : host).split('.'), isPort ? host.slice(colon + 1) : '']
  }
  const [globParts, globPort] = split(glob.host)
  const [targetParts, targetPort] = split(target.host)
  if (globPort !== targetPort || globParts.length !== targetParts.length) return false
  if (!target.path.startsWith(glob.path)) return false
  return globParts.every((part, i) => globMatches(part, targetParts[i]))
}

/** Docker Hub's images: no host, or docker.io / index.docker.io, or a first part that is a user name (isDefaultRegistryMatch). */
function isDefaultRegistryImage(image: string): boolean {
  const [first, ...rest] = image.split('/')
  if (first === '') return false
  if (rest.length === 0 || first === 'docker.io' || first === 'index.docker.io') return true
  return !/[.:]/.test(first)
}

/**
 * The credentials of one keyring (the configs of `sources` together, as
 * kubelet's keyring of a pod's pull secrets) for `image` (host/path), in
 * the order a pull tries them.
 */
export function keyringLookup(sources: readonly KeyringSource[], image: string): Credential[] {
  const byKey = new Map<string, Credential[]>()
  for (const source of sources) {
    for (const [location, entry] of Object.entries(source.auths)) {
      const key = keyringKey(location)
      const basic = basicOf(entry)
      if (key === null || basic === null) continue
      byKey.set(key, [...(byKey.get(key) ?? []), { from: source.from, basic }])
    }
  }
  // Go's reverse string sort: bytewise, the most specific path of a host first
  const index = [...byKey.keys()].sort((a, b) => Buffer.compare(Buffer.from(b), Buffer.from(a)))
  const found = index.filter((key) => keyMatches(key, image)).flatMap((key) => byKey.get(key)!)
  if (found.length > 0) return found
  return isDefaultRegistryImage(image) ? byKey.get(DEFAULT_REGISTRY_KEY) ?? [] : []
}
