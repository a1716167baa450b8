// A volumeMount's subPath opened inside its volume without trusting the
// volume's contents (a container may change a shared volume meanwhile):
// kubelet's rules, walked one name at a time from directory fds.
import { chmodSync, closeSync, constants, fstatSync, openSync, readlinkSync } from 'node:fs'
import { join, normalize, sep } from 'node:path'
import { O_PATH, mkdirAt, openPathAt } from '../native/libc'
import { VolumeError } from './volume-error'

/** Linux's limit of symlinks in one lookup (MAXSYMLINKS). */
const MAX_LINKS = 40

/** One name still to walk; fromLink: it came from a symlink's target (kubelet creates no directory there). */
interface Step {
  name: string
  fromLink: boolean
}

/**
 * Open base/sub so that it stays inside base after every symlink, as
 * kubelet's subPath checks (EvalSymlinks of both, then the result must be
 * within the volume): a symlink that resolves inside the volume is
 * followed, one that leads out is refused. An absolute target is the host's
 * path, so it is inside only when it names the volume's own host path. The
 * missing directories of sub are made, as kubelet's SafeMakeDir does, but
 * none where a symlink leads. Returns an O_PATH fd.
 *
 * The walk goes one name at a time from an fd of the directory before it,
 * never by path (kubelet's doSafeMakeDir), and `..` in a symlink's target
 * goes back to the fd it came through: a container swapping a directory of
 * a shared volume for a symlink meanwhile can neither lead a mkdir out of it
 * nor get another directory opened than one inside it (as openat2's
 * RESOLVE_BENEATH, which itself refuses every absolute link).
 */
export function openInside(base: string, sub: string, field: string): number {
  if (sub.startsWith('/') || normalize(sub).split(sep).includes('..')) {
    throw new VolumeError(`${field}: must be a relative path that does not contain ".." (got "${sub}")`)
  }
  const fail = (what: string): never => {
    throw new VolumeError(`${field}: ${what} (got "${sub}")`)
  }
  let baseFd: number
  try {
    baseFd = openSync(base, O_PATH | constants.O_DIRECTORY)
  } catch (err) {
    throw new VolumeError(`${field}: open the volume's directory "${base}"`, { cause: err })
  }
  // the open directories from base down, and their names below base
  const fds = [baseFd]
  const names: string[] = []
  const pending: Step[] = sub.split('/').map((name) => ({ name, fromLink: false }))
  let links = 0
  try {
    const realBase = readlinkSync(`/proc/self/fd/${baseFd}`)
    // as kubelet's doSafeMakeDir: a directory made here gets the volume's own mode (an emptyDir's 0777, 02777
    // with an fsGroup), set after the mkdir that the umask cut, so any user of the container can write in it
    const dirMode = fstatSync(baseFd).mode & 0o7777
    while (pending.length > 0) {
      const { name, fromLink } = pending.shift()!
      if (name === '' || name === '.') continue
      if (name === '..') {
        // only a symlink's target has ".." here (sub itself was refused above)
        if (fds.length === 1) fail(`a symlink leads outside the volume, above "${base}"`)
        closeSync(fds.pop()!)
        names.pop()
        continue
      }
      const dirFd = fds[fds.length - 1]
      const inVolume = [...names, name].join('/')
      const label = join(base, inVolume)
      let next = openPathAt(dirFd, name, label)
      if (next === undefined) {
        if (fromLink) fail(`a symlink leads to "${inVolume}", which does not exist`)
        mkdirAt(dirFd, name, dirMode, label)
        next = openPathAt(dirFd, name, label)
        if (next === undefined) fail(`"${inVolume}" vanished as it was made`)
        // through the O_PATH fd of what was made: nothing swapped in by name is changed
        if (!fstatSync(next!).isSymbolicLink()) chmodSync(`/proc/self/fd/${next}`, dirMode)
      }
      const opened = next!
      if (!fstatSync(opened).isSymbolicLink()) {
        fds.push(opened)
        names.push(name)
        continue
      }
      closeSync(opened)
      if (++links > MAX_LINKS) fail(`"${inVolume}": too many levels of symbolic links`)
      // the link's text, read from the directory we hold: whatever it says is walked from fds as well
      const target = readlinkSync(`/proc/self/fd/${dirFd}/${name}`)
      let rest = target
      if (target.startsWith('/')) {
        const within = withinPrefix(target, realBase) ?? withinPrefix(target, normalize(base))
        if (within === undefined) fail(`"${inVolume}" is a symlink to "${target}", outside the volume`)
        rest = within!
        while (fds.length > 1) closeSync(fds.pop()!)
        names.length = 0
      }
      pending.unshift(...rest.split('/').map((n) => ({ name: n, fromLink: true })))
    }
    const fd = fds.pop()!
    const real = readlinkSync(`/proc/self/fd/${fd}`)
    if (real !== realBase && !real.startsWith(realBase + '/')) {
      fds.push(fd)
      fail(`resolves to "${real}", outside the volume`)
    }
    return fd
  } finally {
    for (const fd of fds) closeSync(fd)
  }
}

/** The rest of an absolute path below prefix ("" for prefix itself), or undefined when it is not below it. */
function withinPrefix(path: string, prefix: string): string | undefined {
  const clean = prefix.replace(/\/+$/, '')
  if (path === clean) return ''
  return path.startsWith(`${clean}/`) ? path.slice(clean.length + 1) : undefined
}
