// Several pipes at once, or none: when one pipe2 fails (EMFILE, ENFILE) the
// ones already made are closed before the error goes on, so a caller that
// needs three pipes never leaks the first two.
import type { NativeApi } from './contract'

export function makePipes(native: Pick<NativeApi, 'pipe' | 'close'>, count: number): Array<[number, number]> {
  const made: Array<[number, number]> = []
  try {
    for (let i = 0; i < count; i++) made.push(native.pipe())
  } catch (err) {
    for (const [read, write] of made) {
      native.close(read)
      native.close(write)
    }
    throw err
  }
  return made
}
