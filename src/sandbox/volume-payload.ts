// The files of a configMap, secret, downwardAPI or projected volume, as
// kubelet's plugins collect them before the AtomicWriter writes them
// (MakePayload of pkg/volume/configmap and /secret, downwardapi.CollectData,
// projected's collectData): every key of the object where `items` is unset,
// else each item's key at its path; each file with its item's mode, else
// the volume's defaultMode. A missing object fails the volume, with kubelet's
// text (`configmap "x" not found`), unless `optional`: then it counts as
// empty; so does an item's missing key, which otherwise fails it too
// (`configmap references non-existent config key: k`). A projected volume
// collects every source and fails with all their errors at once, as
// kubelet aggregates them (`[a, b]`). Pure: objects and node are passed in.
import { notFoundText, objectsOfKind, type ConfigObject, type ConfigObjectKind, type PodConfigObjects } from '../spec/config-objects'
import type { DefaultedKeySource, DefaultedPod, DefaultedVolume, DefaultedVolumeProjection, DownwardAPIVolumeFile } from '../spec/types'
import type { FileProjection } from './atomic-writer'
import type { NodeAllocatable } from './downward-resources'
import { downwardFileValue } from './downward-volume'

/** What a volume's files come from besides the pod: the objects given beside it, and the node. */
export interface PayloadSources {
  pod: DefaultedPod
  objects: PodConfigObjects
  node: () => NodeAllocatable
}

/** A volume kubelet cannot set up, with its MountVolume.SetUp error text (without the volume). */
export class PayloadError extends Error {
  /** each error, for an aggregate of aggregates to flatten them as apimachinery's does */
  readonly messages: readonly string[]
  constructor(messages: string | readonly string[]) {
    const list = typeof messages === 'string' ? [messages] : messages
    super(aggregate(list))
    this.name = 'PayloadError'
    this.messages = list
  }
}

type Payload = Map<string, FileProjection>

/** kubelet's volume plugins' texts for an item whose key the object lacks */
const MISSING_KEY = { configMap: 'configmap references non-existent config key', secret: 'references non-existent secret key' } as const

/** Whether kubelet fills the volume from the API (and mounts it read-only): configMap, secret, downwardAPI, projected. */
export function isFileVolume(volume: DefaultedVolume): boolean {
  return volume.configMap !== undefined || volume.secret !== undefined || volume.downwardAPI !== undefined || volume.projected !== undefined
}

/**
 * The payload of a configMap, secret, downwardAPI or projected volume.
 * @throws PayloadError with kubelet's text
 */
export function volumePayload(volume: DefaultedVolume, sources: PayloadSources): Payload {
  if (volume.configMap !== undefined) return keyPayload('configMap', volume.configMap, sources.objects)
  if (volume.secret !== undefined) return keyPayload('secret', volume.secret, sources.objects)
  if (volume.downwardAPI !== undefined) return downwardPayload(volume.downwardAPI.items, volume.downwardAPI.defaultMode, sources)
  if (volume.projected !== undefined) return projectedPayload(volume.projected.sources, volume.projected.defaultMode, sources)
  throw new PayloadError(`volume "${volume.name}" is not filled from the API`)
}

function keyPayload(kind: ConfigObjectKind, source: DefaultedKeySource, objects: PodConfigObjects): Payload {
  const object: ConfigObject | undefined = objectsOfKind(objects, kind).get(source.name)
  if (object === undefined && !source.optional) throw new PayloadError(notFoundText(kind, source.name))
  const data = object?.data ?? new Map<string, Buffer>()
  const payload: Payload = new Map()
  if (source.items.length === 0) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: source.defaultMode })
    return payload
  }
  for (const item of source.items) {
    const bytes = data.get(item.key)
    if (bytes === undefined) {
      if (source.optional) continue
      throw new PayloadError(`${MISSING_KEY[kind]}: ${item.key}`)
    }
    payload.set(item.path, { data: bytes, mode: item.mode ?? source.defaultMode })
  }
  return payload
}

/** downwardapi.CollectData: every file, and every file's error, together. */
function downwardPayload(items: readonly DownwardAPIVolumeFile[], defaultMode: number, sources: PayloadSources): Payload {
  const payload: Payload = new Map()
  const errors: string[] = []
  for (const file of items) {
    let value = ''
    try {
      value = downwardFileValue(file, sources.pod, sources.node)
    } catch (err) {
      errors.push((err as Error).message)
    }
    payload.set(file.path, { data: Buffer.from(value), mode: file.mode ?? defaultMode })
  }
  if (errors.length > 0) throw new PayloadError(errors)
  return payload
}

function projectedPayload(projections: readonly DefaultedVolumeProjection[], defaultMode: number, sources: PayloadSources): Payload {
  const payload: Payload = new Map()
  const errors: string[] = []
  for (const projection of projections) {
    try {
      const part = projection.configMap !== undefined ? keyPayload('configMap', projection.configMap, sources.objects)
        : projection.secret !== undefined ? keyPayload('secret', projection.secret, sources.objects)
          : downwardPayload(projection.downwardAPI?.items ?? [], defaultMode, sources)
      for (const [path, file] of part) payload.set(path, file)
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err
      errors.push(...err.messages)
    }
  }
  if (errors.length > 0) throw new PayloadError(errors)
  return payload
}

/** apimachinery's NewAggregate(...).Error(): one error as it is, more as `[a, b]`, each message once. */
export function aggregate(messages: readonly string[]): string {
  const unique = [...new Set(messages)]
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`
}
