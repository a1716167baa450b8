// Random bytes from /dev/urandom, for the ids podshim makes (pod uids,
// container ids). node:crypto's randomBytes would load the whole crypto
// module, ~2.5 ms of every `podshim run` (bench/).
import { closeSync, openSync, readSync } from 'node:fs'

/** The kernel fills a read of up to 256 bytes from /dev/urandom in full. */
const MAX_READ_BYTES = 256

export function randomBytes(size: number): Buffer {
  if (!Number.isInteger(size) || size < 1 || size > MAX_READ_BYTES) throw new RangeError(`read random bytes: size must be 1..${MAX_READ_BYTES} (got ${size})`)
  const bytes = Buffer.alloc(size)
  const fd = openSync('/dev/urandom', 'r')
  try {
    if (readSync(fd, bytes, 0, size, null) !== size) throw new Error('read /dev/urandom: short read')
  } finally {
    closeSync(fd)
  }
  return bytes
}
