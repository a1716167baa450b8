// Unpacks one image layer into a directory that overlayfs can use as a lower
// layer, the way containerd's archive.Apply with the overlay converter does:
// whiteouts `.wh.NAME` become char 0/0 devices, `.wh..wh..opq` becomes the
// trusted.overlay.opaque xattr; ownership, setuid/setgid bits, device nodes,
// xattrs and times are kept (podshim runs as root, as containerd does).
// The constraint that shapes it: a layer is hostile input. Entry names with
// `..` or a leading `/` are refused; parents are walked one component at a
// time with lstat, symlinks among them resolved inside the layer root (an
// absolute target means the layer root, as in the container) and refused if
// they climb out of it; hard links must name an entry inside the root; the
// final component is never followed. Nothing is written through a path
// that has not been checked this way. Man pages: tar(5), overlayfs docs.
import { createHash, type Hash } from 'node:crypto'
import { type Stats, constants, promises as fsp, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readlinkSync, rmSync, symlinkSync, chmodSync } from 'node:fs'
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { pipeline } from 'node:stream'
import * as zlib from 'node:zlib'

import { type TarHeader, readTar } from './tar-reader'
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from './libc-fs'

const WHITEOUT_PREFIX = '.wh.'
const OPAQUE_WHITEOUT = '.wh..wh..opq'
const MAX_SYMLINKS = 40

export class LayerEntryError extends Error {
  constructor(readonly entry: string, why: string) {
    super(`extract layer entry "${entry}": ${why}`)
    this.name = 'LayerEntryError'
  }
}

/** In-root path components of a tar name; refuses absolute names and `..`. */
export function entryComponents(name: string, entry = name): string[] {
  const what = name === entry ? 'paths' : `hard link targets ("${name}")`
  if (name.startsWith('/')) throw new LayerEntryError(entry, `absolute ${what} are not allowed`)
  const parts = name.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) throw new LayerEntryError(entry, `${what} with ".." are not allowed`)
  return parts
}

function lstatOrNull(path: string): Stats | null {
  return lstatSync(path, { throwIfNoEntry: false }) ?? null
}

/**
 * Resolve directory components inside `root`, following symlinks within the
 * layer root only; missing directories are created when `create` is set.
 */
function resolveDir(root: string, parts: string[], entry: string, create: boolean): string[] {
  const resolved: string[] = []
  const pending = [...parts]
  let links = 0
  while (pending.length > 0) {
    const part = pending.shift()!
    if (part === '.' || part === '') continue
    if (part === '..') {
      if (resolved.length === 0) throw new LayerEntryError(entry, 'a symlink on its path leads out of the layer root')
      resolved.pop()
      continue
    }
    const path = join(root, ...resolved, part)
    const stat = lstatOrNull(path)
    if (stat === null) {
      if (!create) throw new LayerEntryError(entry, `"${[...resolved, part].join('/')}" does not exist in the layer`)
      mkdirSync(path, { mode: 0o755 })
      resolved.push(part)
    } else if (stat.isDirectory()) {
      resolved.push(part)
    } else if (stat.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw new LayerEntryError(entry, 'too many levels of symbolic links')
      const target = readlinkSync(path)
      if (target.startsWith('/')) resolved.length = 0
      pending.unshift(...target.split('/'))
    } else {
      throw new LayerEntryError(entry, `"${[...resolved, part].join('/')}" is not a directory`)
    }
  }
  return resolved
}

export interface ExtractOptions {
  /** as containerd in a user namespace: without root, device nodes are skipped and ownership is not kept */
  isRoot?: boolean
}

/** Unpack an uncompressed tar stream into `root` (an existing empty directory). */
export async function extractTar(source: AsyncIterable<Buffer>, root: string, options: ExtractOptions = {}): Promise<number> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0
  const dirTimes: DirTime[] = []
  let count = 0
  for await (const { header, body } of readTar(source)) {
    count++
    const parts = entryComponents(header.name)
    if (parts.length === 0) {
      if (header.type === 'dir') applyMetadata(root, [], header, isRoot, dirTimes)
      continue
    }
    const base = parts[parts.length - 1]
    const dirParts = resolveDir(root, parts.slice(0, -1), header.name, true)
    const dir = join(root, ...dirParts)
    if (base === OPAQUE_WHITEOUT) {
      lsetxattr(dir, 'trusted.overlay.opaque', Buffer.from('y'))
      continue
    }
    if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) continue
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const name = base.slice(WHITEOUT_PREFIX.length)
      if (name === '' || name === '.' || name === '..') throw new LayerEntryError(header.name, 'whiteout names no file')
      const path = join(dir, name)
      if (lstatOrNull(path) !== null) rmSync(path, { recursive: true, force: true })
      mknod(path, S_IFCHR, 0, 0, 0)
      if (isRoot) lchownSync(path, header.uid, header.gid)
      continue
    }
    const path = join(dir, base)
    const existing = lstatOrNull(path)
    if (existing !== null && !(existing.isDirectory() && header.type === 'dir')) rmSync(path, { recursive: true, force: true })
    switch (header.type) {
      case 'dir':
        if (existing === null || !existing.isDirectory()) mkdirSync(path, { mode: 0o700 })
        break
      case 'file':
        await writeFile(path, body)
        break
      case 'symlink':
        symlinkSync(header.linkName, path)
        break
      case 'hardlink': {
        const linkParts = entryComponents(header.linkName, header.name)
        if (linkParts.length === 0) throw new LayerEntryError(header.name, 'hard link names the layer root')
        const target = join(root, ...resolveDir(root, linkParts.slice(0, -1), header.name, false), linkParts[linkParts.length - 1])
        const stat = lstatOrNull(target)
        if (stat === null) throw new LayerEntryError(header.name, `hard link target "${header.linkName}" does not exist in the layer`)
        if (stat.isDirectory()) throw new LayerEntryError(header.name, `hard link target "${header.linkName}" is a directory`)
        linkSync(target, path)
        continue
      }
      case 'char':
      case 'block':
      case 'fifo':
        if (header.type !== 'fifo' && !isRoot) continue
        mknod(path, header.type === 'char' ? S_IFCHR : header.type === 'block' ? S_IFBLK : S_IFIFO, 0o600, header.devMajor, header.devMinor)
        break
      default:
        throw new LayerEntryError(header.name, `entry type "${printable(header.typeFlag)}" is not supported`)
    }
    applyMetadata(root, [...dirParts, base], header, isRoot, dirTimes)
  }
  // directory times last: creating their children changed them. A later entry may have
  // replaced a directory (or one of its parents) by a symlink, so each path is walked
  // again and skipped unless it is still directories all the way down
  for (const { parts, mtime } of dirTimes.reverse()) {
    if (isDirectoryPath(root, parts)) lutimesSync(join(root, ...parts), mtime, mtime)
  }
  return count
}

/** a directory whose time is set once the layer is unpacked: its components below the root */
interface DirTime { parts: string[]; mtime: number }

/** whether every component of `parts` below `root` is a directory, none of them a symlink */
function isDirectoryPath(root: string, parts: string[]): boolean {
  return parts.every((_, i) => lstatOrNull(join(root, ...parts.slice(0, i + 1)))?.isDirectory() === true)
}

function printable(flag: string): string {
  return /^[\x20-\x7e]$/.test(flag) ? flag : `\\x${flag.charCodeAt(0).toString(16).padStart(2, '0')}`
}

async function writeFile(path: string, body: AsyncIterable<Buffer>): Promise<void> {
  const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    for await (const chunk of body) await handle.write(chunk)
  } finally {
    await handle.close()
  }
}

/** ownership first (chown clears setuid), then mode, xattrs, times; never through a symlink */
function applyMetadata(root: string, parts: string[], header: TarHeader, isRoot: boolean, dirTimes: DirTime[]): void {
  const path = join(root, ...parts)
  if (isRoot) lchownSync(path, header.uid, header.gid)
  if (header.type !== 'symlink') chmodSync(path, header.mode)
  for (const [name, value] of header.xattrs) {
    try {
      lsetxattr(path, name, value)
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOTSUP') continue
      throw new LayerEntryError(header.name, `set xattr "${name}": ${(err as Error).message}`)
    }
  }
  if (header.type === 'dir') dirTimes.push({ parts, mtime: header.mtimeSeconds })
  else lutimesSync(path, header.mtimeSeconds, header.mtimeSeconds)
}

async function* hashing(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk)
    yield chunk
  }
}

/** The decompressed stream of a layer blob, by its magic bytes (gzip, zstd where node has it, or plain tar). */
export async function openLayer(file: string): Promise<AsyncIterable<Buffer>> {
  const handle = await fsp.open(file, 'r')
  const magic = Buffer.alloc(4)
  try {
    await handle.read(magic, 0, 4, 0)
  } finally {
    await handle.close()
  }
  const raw = createReadStream(file)
  // pipeline, not pipe: a consumer that stops early (a refused entry) or a read error destroys
  // every stage, so the file's fd is never left open; errors reach the consumer through the last stage
  const decompressed = (stage: NodeJS.ReadWriteStream): AsyncIterable<Buffer> =>
    pipeline(raw, stage, () => {}) as unknown as AsyncIterable<Buffer>
  if (magic[0] === 0x1f && magic[1] === 0x8b) return decompressed(createGunzip())
  if (magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
    const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress
    if (zstd === undefined) {
      raw.destroy()
      throw new Error(`decompress layer "${file}": zstd layers need node 22.15 or later (this is ${process.version})`)
    }
    return decompressed(zstd())
  }
  return raw
}

/** Unpack a layer blob into `root`; returns its diff ID (the digest of the uncompressed tar). */
export async function extractLayerFile(file: string, root: string, options: ExtractOptions = {}): Promise<string> {
  const hash = createHash('sha256')
  const stream = hashing(await openLayer(file), hash)
  try {
    await extractTar(stream, root, options)
    for await (const _ of stream) { /* the end-of-archive blocks count towards the diff ID */ }
  } finally {
    await stream.return(undefined)
  }
  return `sha256:${hash.digest('hex')}`
}
