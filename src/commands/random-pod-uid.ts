// A pod's uid when its manifest has none, as the API server makes one: a
// random (version 4, RFC 4122 variant) UUID.
import { randomBytes } from '../random-bytes'

export function randomPodUid(): string {
  const bytes = randomBytes(16)
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
