// Registry credentials, and the order a pull tries them in. As kubelet's
// keyrings do (credentialprovider/secrets MakeDockerKeyring): first those
// of the pod's imagePullSecrets, all in one keyring (Secrets of type
// kubernetes.io/dockerconfigjson, whose `.dockerconfigjson` is a docker
// config.json, and kubernetes.io/dockercfg, whose `.dockercfg` is the older
// map of registries), then the node's own: podshim's --registry-config.
// Every entry that names the image's registry (and a path its repository is
// under, or a host glob) is tried in turn until one is let in, the most
// specific first (keyring.ts); with none, the pull goes without
// credentials. A pull secret the manifest does not give is kubelet's
// FailedToRetrieveImagePullSecret.
// Nothing here loads node:https, so a run's up-front check of
// --registry-config costs no TLS stack.
import { readFileSync } from 'node:fs'

import type { PodConfigObjects } from '../spec/config-objects'
import { keyringLookup, type Credential, type KeyringSource } from './keyring'

export type { Credential } from './keyring'

/** The registries of a docker config.json (its `auths`), or of a `.dockercfg` */
export type RegistryAuths = Record<string, { auth?: string; username?: string; password?: string }>

/** A docker config.json as a pull reads it */
export interface AuthFile { auths?: RegistryAuths }

/** A set of credentials and where it came from, as messages name it; or why a pull secret gives none. */
export interface CredentialSource extends KeyringSource {
  /** a pull secret whose config is not one: every pull of the pod fails with it, as kubelet's keyring does */
  error?: Error
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Checks the registries of a docker config (`auths`, or a whole
 * `.dockercfg`): an object per registry with string auth, username and
 * password, the auth base64 of "user:password" (docker's config loader
 * refuses one that is not). Throws the problem.
 */
export function checkRegistryAuths(auths: unknown, at: string): RegistryAuths {
  if (!isObject(auths)) throw new Error(`${at}: must be an object of registries`)
  for (const [host, entry] of Object.entries(auths)) {
    const where = `${at}[${JSON.stringify(host)}]`
    if (!isObject(entry)) throw new Error(`${where}: must be an object`)
    for (const field of ['auth', 'username', 'password']) {
      if (entry[field] !== undefined && typeof entry[field] !== 'string') throw new Error(`${where}.${field}: must be a string`)
    }
    const auth = entry.auth as string | undefined
    const isBase64 = auth !== undefined && /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(auth)
    if (auth !== undefined && auth !== '' && !(isBase64 && Buffer.from(auth, 'base64').toString('utf8').includes(':'))) {
      throw new Error(`${where}.auth: must be base64 of "user:password"`)
    }
  }
  return auths as RegistryAuths
}

/** JSON text's value, or an Error saying why it is not JSON, on one line (V8 quotes the text around the fault, newlines and all). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw err instanceof SyntaxError ? new Error(`not JSON: ${err.message.replace(/\s*\n\s*/g, ' ')}`) : err
  }
}

/**
 * Reads a docker config.json, checking it has the shape a pull reads. For a check before any pull; the problem is the cause.
 */
export function readAuthFile(authFile: string): AuthFile {
  const fail = (cause: unknown): Error => new Error(`read registry credentials "${authFile}"`, { cause })
  try {
    const doc = parseJson(readFileSync(authFile, 'utf8'))
    if (!isObject(doc)) throw new Error('not a docker config.json: must be a JSON object')
    if (doc.auths !== undefined) checkRegistryAuths(doc.auths, 'auths')
    return doc as AuthFile
  } catch (err) {
    throw fail(err)
  }
}

/**
 * Every credential for an image (host/path, e.g. docker.io/library/busybox),
 * in the order a pull tries them, as kubelet's union of keyrings gives them:
 * the pull secrets' together (keyring.ts), then the auth file's, the node's.
 * @throws the error of a pull secret that is not a docker config
 */
export function credentialsInOrder(pullSecrets: readonly CredentialSource[], authFile: string | null, image: string): Credential[] {
  const broken = pullSecrets.find((source) => source.error !== undefined)
  if (broken !== undefined) throw broken.error!
  const node = authFile === null ? [] : keyringLookup([{ from: JSON.stringify(authFile), auths: readAuthFile(authFile).auths ?? {} }], image)
  return [...keyringLookup(pullSecrets, image), ...node]
}

const DOCKER_CONFIG_JSON = { type: 'kubernetes.io/dockerconfigjson', key: '.dockerconfigjson' }
const DOCKERCFG = { type: 'kubernetes.io/dockercfg', key: '.dockercfg' }

/**
 * The credentials of a pod's imagePullSecrets, and the names the manifest
 * does not give (for kubelet's FailedToRetrieveImagePullSecret). A Secret
 * of another type, or without its key, gives none, as kubelet's keyring
 * takes none from it. One whose config is not one (the API server checks
 * only that it is a JSON object) carries its error, which fails the pod's
 * pulls, not the pod: kubelet makes its keyring as it pulls.
 */
export function pullSecretCredentials(names: readonly string[], objects: PodConfigObjects): { sources: CredentialSource[]; missing: string[] } {
  const sources: CredentialSource[] = []
  const missing: string[] = []
  for (const name of names) {
    const secret = objects.secrets.get(name)
    if (secret === undefined) {
      missing.push(name)
      continue
    }
    const from = `imagePullSecret ${JSON.stringify(name)}`
    const text = (format: { type: string; key: string }): string | undefined =>
      secret.type === format.type && (secret.data.get(format.key)?.length ?? 0) > 0 ? secret.data.get(format.key)!.toString('utf8') : undefined
    try {
      const configJson = text(DOCKER_CONFIG_JSON)
      const dockercfg = text(DOCKERCFG)
      if (configJson !== undefined) {
        const doc = parseJson(configJson)
        if (!isObject(doc)) throw new Error('not a docker config.json: must be a JSON object')
        sources.push({ from, auths: doc.auths === undefined ? {} : checkRegistryAuths(doc.auths, 'auths') })
      } else if (dockercfg !== undefined) {
        sources.push({ from, auths: checkRegistryAuths(parseJson(dockercfg), DOCKERCFG.key) })
      }
    } catch (err) {
      sources.push({ from, auths: {}, error: new Error(`read ${from}`, { cause: err }) })
    }
  }
  return { sources, missing }
}
