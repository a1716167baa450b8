// What a downwardAPI volume file holds, as kubelet's downwardapi plugin
// writes it (CollectData, with fieldpath.ExtractFieldPathAsString): the
// pod's name, namespace or uid as they are; its labels or annotations as
// fieldpath.FormatMap prints a map (`key="value"` lines sorted by key, the
// value quoted as Go's %q quotes it, no newline after the last line); one
// label or annotation (`metadata.labels['k']`) as its bare value, "" where
// the pod has none; a resourceFieldRef by kubelet's rules for volumes (the
// named container's limit, or the node's allocatable where it sets none).
// Pure: the node's allocatable amounts are passed in.
import type { DefaultedPod, DownwardAPIVolumeFile } from '../spec/types'
import { subscriptedValue } from '../spec/validate-field-selectors'
import { ContainerConfigError } from './container-config-error'
import { type NodeAllocatable, resourceFieldValue } from './downward-resources'

/**
 * What env and volume files alike take from the pod's metadata: its name,
 * namespace, uid, or one label or annotation ("" where the pod has none);
 * null for any other field path.
 */
export function metadataValue(pod: DefaultedPod, fieldPath: string): string | null {
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name
    case 'metadata.namespace': return pod.metadata.namespace
    case 'metadata.uid': return pod.metadata.uid
    default: return subscriptedValue(pod.metadata, fieldPath)
  }
}

/** A metadata field of the pod, as a downwardAPI volume file holds it. */
export function volumeFieldValue(pod: DefaultedPod, fieldPath: string): string {
  const value = metadataValue(pod, fieldPath)
  if (value !== null) return value
  switch (fieldPath) {
    case 'metadata.labels': return formatMap(pod.metadata.labels)
    case 'metadata.annotations': return formatMap(pod.metadata.annotations)
    // validation let no other through
    default: throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`)
  }
}

/**
 * The value of one downwardAPI file. A resourceFieldRef names its container
 * (validation requires it), looked for among the containers, then the init
 * containers; kubelet gives any of them the node's allocatable amount for a
 * limit it does not set (ExtractResourceValueByContainerNameAndNodeAllocatable).
 * @throws ContainerConfigError `container x not found`
 */
export function downwardFileValue(file: DownwardAPIVolumeFile, pod: DefaultedPod, node: () => NodeAllocatable): string {
  if (file.fieldRef !== undefined) return volumeFieldValue(pod, file.fieldRef.fieldPath)
  const ref = file.resourceFieldRef!
  const name = ref.containerName ?? ''
  const container = pod.spec.containers.find((c) => c.name === name) ?? pod.spec.initContainers.find((c) => c.name === name)
  if (container === undefined) throw new ContainerConfigError(`container ${name} not found`)
  return resourceFieldValue({ resource: ref.resource, divisor: ref.divisor }, pod, container, node)
}

/** fieldpath.FormatMap: `key="value"` lines sorted by key (byte order), joined by newlines, none at the end. */
export function formatMap(map: Readonly<Record<string, string>>): string {
  const keys = Object.keys(map).sort(compareBytes)
  return keys.map((key) => `${key}=${goQuote(map[key])}`).join('\n')
}

/** Go's sort.Strings order: by UTF-8 bytes, which for JS strings is code point order, not UTF-16 unit order. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
}

/**
 * What Go's strconv.IsPrint takes as printable: letters, marks, numbers,
 * punctuation, symbols and the ASCII space. Made at its first use: V8 builds
 * these Unicode classes as the literal is evaluated (~0.5 ms), which every
 * run would pay at load.
 */
let goPrintable: RegExp | undefined
const isGoPrintable = (char: string): boolean => (goPrintable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u).test(char)

/**
 * Go's %q of a string (strconv.Quote): in double quotes, `"` and `\`
 * escaped, \a \b \f \n \r \t \v by name, other control characters below
 * U+0080 and DEL as \xHH, any other character that is not printable as
 * \uHHHH or \UHHHHHHHH; printable characters as they are. A lone
 * surrogate, which UTF-8 cannot hold, is U+FFFD, as the API server's JSON
 * decoder makes it.
 */
export function goQuote(value: string): string {
  let out = '"'
  for (const char of value) {
    const code = char.codePointAt(0)!
    const named = GO_ESCAPES[char]
    if (named !== undefined) out += named
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd'
    else if (isGoPrintable(char)) out += char
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`
    else out += `\\U${hex(code, 8)}`
  }
  return `${out}"`
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0')
}
