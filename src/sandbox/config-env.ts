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

import { notFoundText, objectsOfKind, type ConfigObject, type ConfigObjectKind, type PodConfigObjects } from '../spec/config-objects'
import type { EnvFromSource, KeySelector } from '../spec/types'
import { ContainerConfigError } from './container-config-error'

/** makeEnvironmentVariables' name for the object's kind in its errors */
const KIND_NAMES = { configMap: 'ConfigMap', secret: 'Secret' } as const

type Source = ConfigObjectKind

/** The object, or undefined where `optional` lets it be missing. */
function lookUp(objects: PodConfigObjects, source: Source, name: string, isOptional: boolean): ConfigObject | undefined {
  const object = objectsOfKind(objects, source).get(name)
  if (object === undefined && !isOptional) throw new ContainerConfigError(notFoundText(source, name))
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
    for (const key of envKeys(object).sort()) env.set(`${from.prefix ?? ''}${key}`, envValue(object, key))
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
    throw new ContainerConfigError(`couldn't find key ${selector.key} in ${KIND_NAMES[source]} ${namespace}/${name}`)
  }
  return envValue(object, selector.key)
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * A key's value as env text. Bytes that are not UTF-8 (a Secret's binary
 * data) are refused rather than changed: the CRI carries env as protobuf
 * strings, which must be UTF-8, so kubelet's runtime cannot take them.
 */
function envValue(object: ConfigObject, key: string): string {
  try {
    return UTF8.decode(object.data.get(key)!)
  } catch {
    throw new ContainerConfigError(`key ${key} in ${KIND_NAMES[object.kind === 'ConfigMap' ? 'configMap' : 'secret']} ${object.namespace}/${object.name} is not UTF-8 text, which an environment variable cannot hold`)
  }
}
