// The layout kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) gives
// a configMap, secret, downwardAPI or projected volume, so a container sees
// what it would see under kubelet: the files in a hidden timestamped
// directory `..2006_01_02_15_04_05.<digits>` (UTC, mode 0755), a `..data`
// symlink to it, and one symlink per top-level name (`key -> ..data/key`,
// `dir -> ..data/dir`). Programs that watch `..data` for updates work; here
// the content is written once, at setup (podshim has no API server to
// watch). Each file gets exactly its projection's mode, whatever the umask.
import { chmodSync, mkdirSync, readlinkSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { randomBytes } from '../random-bytes'

/** One file of the payload: its bytes and its mode bits (0–0777). */
export interface FileProjection {
  data: Buffer
  mode: number
}

const MAX_FILE_NAME_LENGTH = 255
const MAX_PATH_LENGTH = 4096
const DATA_DIR_NAME = '..data'
const NEW_DATA_DIR_NAME = '..data_tmp'
/** the timestamped directory's and its subdirectories' mode: others may walk in */
const DIR_MODE = 0o755

/**
 * AtomicWriter's validatePath, with its messages: relative, at most 4096
 * bytes, no `..` element, no name over 255 bytes, and no `..` start of the
 * first name (a name of the writer's own).
 */
export function payloadPathProblem(path: string): string | null {
  if (path === '') return `invalid path: must not be empty: ""`
  if (path.startsWith('/')) return `invalid path: must be relative path: ${path}`
  if (Buffer.byteLength(path) > MAX_PATH_LENGTH) return `invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`
  const names = path.split('/')
  for (const name of names) {
    if (name === '..') return `invalid path: must not contain '..': ${path}`
    if (Buffer.byteLength(name) > MAX_FILE_NAME_LENGTH) return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`
  }
  if (names[0].startsWith('..') && names[0].length > 2) return `invalid path: must not start with '..': ${path}`
  return null
}

/** `..2006_01_02_15_04_05.` in UTC, Go's layout for the timestamped directory's prefix. */
export function timestampDirPrefix(now: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0')
  return `..${now.getUTCFullYear()}_${two(now.getUTCMonth() + 1)}_${two(now.getUTCDate())}_${two(now.getUTCHours())}_${two(now.getUTCMinutes())}_${two(now.getUTCSeconds())}.`
}

/**
 * Write `payload` (path → file) into the existing, empty directory `dir`
 * in AtomicWriter's layout; returns the timestamped directory's name.
 * `setPerms` runs once the files are written and before any link is made
 * (AtomicWriter's setPerms: kubelet's ownership change).
 * @throws Error with AtomicWriter's text for an invalid path; a failed
 * syscall's error as it is
 */
export function writePayload(dir: string, payload: ReadonlyMap<string, FileProjection>, now = new Date(), setPerms?: () => void): string {
  const clean = new Map<string, FileProjection>()
  for (const [path, file] of payload) {
    const problem = payloadPathProblem(path)
    if (problem !== null) throw new Error(problem)
    clean.set(posix.normalize(path).replace(/\/+$/, ''), file)
  }
  const tsName = makeTimestampDir(dir, now)
  const tsDir = join(dir, tsName)
  for (const [path, file] of clean) {
    try {
      const parent = posix.dirname(path)
      if (parent !== '.') makeDirs(tsDir, parent)
      const target = join(tsDir, path)
      writeFileSync(target, file.data, { mode: file.mode, flag: 'wx' })
      chmodSync(target, file.mode)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      // two paths of the volume, one a file where the other needs a directory ("a" and "a/b"): the validation lets them through, as Kubernetes' does
      if (code === 'ENOTDIR' || code === 'EEXIST') throw new Error(`path ${JSON.stringify(path)}: another path of the volume is a file where this one needs a directory, or the reverse`, { cause: err })
      throw err
    }
  }
  setPerms?.()
  // the new data directory appears in one rename, as AtomicWriter swaps it
  symlinkSync(tsName, join(dir, NEW_DATA_DIR_NAME))
  renameSync(join(dir, NEW_DATA_DIR_NAME), join(dir, DATA_DIR_NAME))
  for (const top of new Set([...clean.keys()].map((path) => path.split('/')[0]))) {
    // a directory made there before (a nested mount point) keeps its place, as kubelet leaves it
    if (!isPresent(join(dir, top))) symlinkSync(posix.join(DATA_DIR_NAME, top), join(dir, top))
  }
  return tsName
}

function makeTimestampDir(dir: string, now: Date): string {
  const prefix = timestampDirPrefix(now)
  for (;;) {
    // as Go's MkdirTemp: a random decimal number after the prefix, again on a clash
    const name = `${prefix}${randomBytes(4).readUInt32LE(0)}`
    try {
      mkdirSync(join(dir, name))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw err
    }
    chmodSync(join(dir, name), DIR_MODE)
    return name
  }
}

/** MkdirAll of base/rel, each directory made 0755 whatever the umask. */
function makeDirs(base: string, rel: string): void {
  let path = base
  for (const name of rel.split('/')) {
    path = join(path, name)
    try {
      mkdirSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw err
    }
    chmodSync(path, DIR_MODE)
  }
}

/** Whether anything (a link included) is at path. */
function isPresent(path: string): boolean {
  try {
    readlinkSync(path)
    return true
  } catch (err) {
    // EINVAL: there, and not a link
    return (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}
