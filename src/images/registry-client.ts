// An ImageFetcher for the OCI distribution API v2 (node:https / node:http):
// manifests and blobs by GET, redirects followed (Authorization never sent
// to another host), bearer tokens fetched from the realm a 401's
// WWW-Authenticate names (Basic credentials from the pod's pull secrets and
// a docker config.json when given, each matching one tried in turn as
// kubelet tries them: registry-credentials.ts), retries with exponential
// backoff on 5xx/429 and connection resets. Plain HTTP only for registries marked insecure and, as docker and
// containerd do, for loopback hosts. Digest checks happen in the store.
// Specs: distribution spec.md, docker "Token Authentication Specification".
import * as http from 'node:http'
import * as https from 'node:https'

import type { Descriptor } from './image-manifest'
import { MANIFEST_ACCEPT } from './image-manifest'
import type { ImageFetcher, ManifestBytes } from './image-pull'
import type { DockerReference } from './reference'
import { credentialsInOrder, type Credential, type CredentialSource } from './registry-credentials'

export interface RegistryOptions {
  /** host[:port] names reached over plain HTTP (loopback always is) */
  insecureRegistries: string[]
  /** a docker config.json ({"auths": {"host": {"auth": base64(user:pass)}}}) */
  authFile: string | null
  /** the pod's imagePullSecrets' credentials, tried before authFile's (registry-credentials.ts) */
  pullSecrets?: readonly CredentialSource[]
  attempts?: number
  sleep?: (ms: number) => Promise<void>
}

const RETRY_BASE_MS = 250
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED'])
const MAX_REDIRECTS = 5

export class RegistryError extends Error {
  constructor(message: string, readonly status: number | null, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RegistryError'
  }
}

export function isLoopbackHost(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.split(':')[0]
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]'
}

export function registryBaseUrl(domain: string, insecure: string[]): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain
  const isPlain = isLoopbackHost(domain) || insecure.includes(domain)
  return `${isPlain ? 'http' : 'https'}://${host}`
}

/** WWW-Authenticate: Bearer realm="…",service="…",scope="…" */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ')
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const params: Record<string, string> = {}
  const re = /([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g
  for (const m of (space < 0 ? '' : header.slice(space + 1)).matchAll(re)) params[m[1].toLowerCase()] = m[2] ?? m[3]
  return { scheme, params }
}

interface Response { status: number; headers: http.IncomingHttpHeaders; body: http.IncomingMessage }

function get(url: string, headers: Record<string, string>, redirects = 0): Promise<Response> {
  const target = new URL(url)
  const client = target.protocol === 'http:' ? http : https
  return new Promise((resolve, reject) => {
    const req = client.get(target, { headers }, (res) => {
      const status = res.statusCode ?? 0
      const location = res.headers.location
      if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
        res.resume()
        if (redirects >= MAX_REDIRECTS) return reject(new RegistryError(`fetch "${url}": too many redirects`, status))
        const next = new URL(location, target)
        const nextHeaders = { ...headers }
        if (next.host !== target.host) delete nextHeaders.Authorization
        return resolve(get(next.toString(), nextHeaders, redirects + 1))
      }
      resolve({ status, headers: res.headers, body: res })
    })
    req.setTimeout(60_000, () => req.destroy(Object.assign(new Error(`fetch "${url}": no response in 60s`), { code: 'ETIMEDOUT' })))
    req.on('error', reject)
  })
}

async function readBody(res: Response, limit = 8 << 20): Promise<Buffer> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length
    if (size > limit) throw new RegistryError(`read response: more than ${limit} bytes`, res.status)
    parts.push(chunk as Buffer)
  }
  return Buffer.concat(parts)
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const body = (await readBody(res, 65536)).toString('utf8')
    const errors = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors ?? []
    return errors.map((e) => `${e.code ?? ''}${e.message ? `: ${e.message}` : ''}`).join('; ') || body.slice(0, 200)
  } catch {
    return ''
  }
}

const withDetail = (detail: string): string => (detail === '' ? '' : ` (${detail})`)

/** counts bytes as they are read (a 'data' listener would start the flow before the reader is there) */
async function* counting(body: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    onBytes(chunk.length)
    yield chunk
  }
}

export class RegistryFetcher implements ImageFetcher {
  private readonly base: string
  private authorization: string | null = null
  /** the credentials for this registry, in the order they are tried (read at the first challenge) */
  private credentials: Credential[] | undefined
  private credentialIndex = 0
  private readonly attempts: number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly ref: DockerReference, private readonly options: RegistryOptions) {
    this.base = registryBaseUrl(ref.domain, options.insecureRegistries)
    this.attempts = options.attempts ?? 4
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
  }

  async getManifest(reference: string): Promise<ManifestBytes> {
    const res = await this.request(`/v2/${this.ref.path}/manifests/${reference}`, { Accept: MANIFEST_ACCEPT })
    const bytes = await readBody(res)
    const type = res.headers['content-type']
    return { bytes, mediaType: typeof type === 'string' ? type.split(';')[0].trim() : null }
  }

  async getBlob(descriptor: Descriptor, onBytes: (n: number) => void): Promise<AsyncIterable<Buffer>> {
    const res = await this.request(`/v2/${this.ref.path}/blobs/${descriptor.digest}`, {})
    return counting(res.body, onBytes)
  }

  /** GET with auth and retries; resolves only with a 200 response whose body is unread */
  private async request(path: string, headers: Record<string, string>): Promise<Response> {
    // the credentials are gathered before the first request, as kubelet makes its keyring before it pulls: a pull secret that is not a docker config fails the pull
    this.credential()
    const url = `${this.base}${path}`
    let hasRefreshedAuth = false
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await get(url, this.authorization === null ? headers : { ...headers, Authorization: this.authorization })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ''
        if (TRANSIENT_CODES.has(code) && attempt < this.attempts) {
          await this.sleep(RETRY_BASE_MS * 2 ** (attempt - 1))
          continue
        }
        throw new RegistryError(`fetch "${url}"`, null, { cause: err })
      }
      if (res.status === 200) return res
      if (res.status === 401 && !hasRefreshedAuth) {
        hasRefreshedAuth = true
        const challenge = res.headers['www-authenticate']
        res.body.resume()
        if (typeof challenge !== 'string') throw new RegistryError(`fetch "${url}": 401 unauthorized without a WWW-Authenticate challenge`, 401)
        this.authorization = await this.authorize(challenge)
        attempt--
        continue
      }
      if (res.status === 401 && this.authorization?.startsWith('Basic ') === true) {
        const refused = this.credential()!
        if (this.nextCredential()) {
          res.body.resume()
          this.authorization = `Basic ${this.credential()!.basic}`
          attempt--
          continue
        }
        throw new RegistryError(`authenticate to "${this.ref.domain}": the registry refused the credentials from ${refused.from}: HTTP 401${withDetail(await errorDetail(res))}`, 401)
      }
      if ((res.status === 401 || res.status === 403) && this.authorization?.startsWith('Bearer ') === true) {
        const denied = this.deniedMessage()
        if (this.nextCredential()) {
          // a token for the next credential: asked for at the next challenge
          res.body.resume()
          this.authorization = null
          hasRefreshedAuth = false
          attempt--
          continue
        }
        throw new RegistryError(`${denied}: fetch "${url}": HTTP ${res.status}${withDetail(await errorDetail(res))}`, res.status)
      }
      if ((res.status >= 500 || res.status === 429) && attempt < this.attempts) {
        res.body.resume()
        await this.sleep(RETRY_BASE_MS * 2 ** (attempt - 1))
        continue
      }
      const detail = await errorDetail(res)
      throw new RegistryError(`fetch "${url}": HTTP ${res.status}${detail === '' ? '' : ` (${detail})`}`, res.status)
    }
  }

  /** as docker's "pull access denied": the token came but does not cover the repository */
  private deniedMessage(): string {
    const credential = this.credential()
    const whose = credential === null
      ? `no credentials for "${this.ref.domain}" are configured (${this.credentialOptions()})`
      : `the credentials for "${this.ref.domain}" in ${credential.from} do not allow it`
    return `pull access denied for "${this.ref.path}" on "${this.ref.domain}": the repository does not exist or ${whose}`
  }

  /** Where credentials come from, for the hint when there are none: a pod's pull secrets, or the option alone. */
  private credentialOptions(): string {
    return this.options.pullSecrets === undefined ? '--registry-config' : 'imagePullSecrets, --registry-config'
  }

  /** The credential being tried, or null where none names this registry. */
  private credential(): Credential | null {
    try {
      this.credentials ??= credentialsInOrder(this.options.pullSecrets ?? [], this.options.authFile, `${this.ref.domain}/${this.ref.path}`)
    } catch (err) {
      throw new RegistryError(`pull from "${this.ref.domain}": ${(err as Error).message}`, null, { cause: (err as Error).cause ?? err })
    }
    return this.credentials[this.credentialIndex] ?? null
  }

  /** Moves on to the next credential for this registry, as kubelet tries each in turn; false when none is left. */
  private nextCredential(): boolean {
    if (this.credential() === null || this.credentialIndex + 1 >= this.credentials!.length) return false
    this.credentialIndex++
    return true
  }

  private async authorize(header: string): Promise<string> {
    const credential = this.credential()
    const basic = credential?.basic ?? null
    const { scheme, params } = parseChallenge(header)
    if (scheme === 'basic') {
      if (basic === null) throw new RegistryError(`authenticate to "${this.ref.domain}": it wants Basic credentials and none are configured (${this.credentialOptions()})`, 401)
      return `Basic ${basic}`
    }
    if (scheme !== 'bearer' || params.realm === undefined) throw new RegistryError(`authenticate to "${this.ref.domain}": unsupported challenge "${header}"`, 401)
    const tokenUrl = URL.canParse(params.realm) ? new URL(params.realm) : null
    if (tokenUrl === null || !['http:', 'https:'].includes(tokenUrl.protocol)) {
      throw new RegistryError(`authenticate to "${this.ref.domain}": the challenge's realm "${params.realm}" is not an http(s) URL`, 401)
    }
    const where = `"${tokenUrl.origin}${tokenUrl.pathname}"`
    if (params.service !== undefined) tokenUrl.searchParams.set('service', params.service)
    tokenUrl.searchParams.set('scope', params.scope ?? `repository:${this.ref.path}:pull`)
    const res = await get(tokenUrl.toString(), basic === null ? {} : { Authorization: `Basic ${basic}` })
    if (res.status !== 200) {
      const detail = withDetail(await errorDetail(res))
      if ((res.status === 401 || res.status === 403) && credential !== null) {
        if (this.nextCredential()) return this.authorize(header)
        throw new RegistryError(`authenticate to "${this.ref.domain}": the token service ${where} refused the credentials from ${credential.from}: HTTP ${res.status}${detail}`, res.status)
      }
      throw new RegistryError(`fetch token from ${where}: HTTP ${res.status}${detail}`, res.status)
    }
    const body = (await readBody(res)).toString('utf8')
    let doc: { token?: unknown; access_token?: unknown } | null
    try {
      doc = JSON.parse(body) as typeof doc
    } catch (err) {
      throw new RegistryError(`fetch token from ${where}: the response is not JSON`, 200, { cause: err })
    }
    const token = doc?.token ?? doc?.access_token
    if (typeof token !== 'string' || token === '') throw new RegistryError(`fetch token from ${where}: response has no token`, 200)
    return `Bearer ${token}`
  }
}

