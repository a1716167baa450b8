// A container's env from the ConfigMaps and Secrets given beside its pod,
// as kubelet's makeEnvironmentVariables takes it: envFrom puts every key of
// an object's data (a ConfigMap's binaryData is not env) under `prefix`;
// configMapKeyRef and secretKeyRef take one key. A missing object or key
// is kubelet's container config error, with its texts, unless the
// reference is `optional`, which leaves the variable unset. Every key
// becomes a variable as it is: since RelaxedEnvironmentVariableValidation
// (on by default in 1.32, GA in 1.34; KEP-4369) kubelet no longer skips keys
// that are not C identifiers and records no InvalidEnvironmentVariableNames
// event (kubernetes/kubernetes#130099): a valid key after a valid prefix is
// always a valid name. Pure.

import type { ConfigObject, PodConfigObjects } from '../spec/config-objects'
import type { EnvFromSource, KeySelector } from '../spec/types'
import { ContainerConfigError } from './container-config-error'

/** kubelet's error texts: its configmap and secret managers' NotFound, then makeEnvironmentVariables' own. */
const KINDS = {
  configMap: { resource: 'configmap', kind: 'ConfigMap', map: (o: PodConfigObjects) => o.configMaps },
  secret: { resource: 'secret', kind: 'Secret', map: (o: PodConfigObjects) => o.secrets },
} as const

type Source = keyof typeof KINDS

/** The object, or undefined where `optional` lets it be missing. */
function lookUp(objects: PodConfigObjects, source: Source, name: string, isOptional: boolean): ConfigObject | undefined {
  const object = KINDS[source].map(objects).get(name)
  if (object === undefined && !isOptional) throw new ContainerConfigError(`${KINDS[source].resource} ${JSON.stringify(name)} not found`)
  return object
}

/** The keys env sees: all of a Secret's, a ConfigMap's data (not its binaryData). */
function envKeys(object: ConfigObject): string[] {
  return [...object.data.keys()].filter((key) => object.binaryKeys?.has(key) !== true)
}

/**
 * envFrom's variables, its sources in order (a later one overrides an
 * earlier one's key); each object's keys sorted, as the API server
 * serializes a map.
 */
export function envFromVariables(sources: readonly EnvFromSource[], objects: PodConfigObjects): Map<string, string> {
  const env = new Map<string, string>()
  for (const from of sources) {
    const source: Source = from.configMapRef !== undefined ? 'configMap' : 'secret'
    const ref = from.configMapRef ?? from.secretRef
    const object = lookUp(objects, source, ref?.name ?? '', ref?.optional === true)
    if (object === undefined) continue
    for (const key of envKeys(object).sort()) env.set(`${from.prefix ?? ''}${key}`, object.data.get(key)!.toString('utf8'))
  }
  return env
}

/**
 * A configMapKeyRef's or secretKeyRef's value; undefined where the ref is
 * optional and its object or key is missing (the variable stays unset).
 */
export function keyRefValue(source: Source, selector: KeySelector, objects: PodConfigObjects, namespace: string): string | undefined {
  const name = selector.name ?? ''
  const isOptional = selector.optional === true
  const object = lookUp(objects, source, name, isOptional)
  if (object === undefined) return undefined
  if (!envKeys(object).includes(selector.key)) {
    if (isOptional) return undefined
    throw new ContainerConfigError(`couldn't find key ${selector.key} in ${KINDS[source].kind} ${namespace}/${name}`)
  }
  return object.data.get(selector.key)!.toString('utf8')
}
