// Where local images are read from: a directory (an `oci:` layout) or a tar
// archive (`oci-archive:`, `docker-archive:`, or stdin for `image load -`)
// read in place. An archive is opened once and scanned once for its
// members' offsets (which also tell its kind), and members are then read
// by position from that fd, so a multi-gigabyte `docker save` is never
// unpacked to disk; a gzip-compressed archive is first decompressed, and
// one on a pipe copied, into an unlinked temp file in the store's tmp
// directory, which nothing outlives. Member names are looked up, never
// extracted, so names with ".." cannot reach anything; links between
// members are followed only to other members.
import { closeSync, createReadStream, fstatSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { join, posix } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'

import { randomBytes } from '../random-bytes'
import { readTar } from './tar-reader'

export interface BlobSource {
  readonly description: string
  has(path: string): boolean
  readAll(path: string): Buffer
  stream(path: string): AsyncIterable<Buffer>
  close(): void
}

export class DirSource implements BlobSource {
  constructor(readonly dir: string) {
    this.description = `directory "${dir}"`
  }
  readonly description: string
  private resolve(path: string): string {
    const clean = posix.normalize(path)
    if (clean.startsWith('../') || clean === '..' || posix.isAbsolute(clean)) throw new Error(`read "${path}" in ${this.description}: path leaves the layout`)
    return join(this.dir, clean)
  }
  has(path: string): boolean {
    try {
      return statSync(this.resolve(path)).isFile()
    } catch {
      return false
    }
  }
  readAll(path: string): Buffer {
    return readFileSync(this.resolve(path))
  }
  stream(path: string): AsyncIterable<Buffer> {
    return createReadStream(this.resolve(path))
  }
  close(): void {}
}

interface Member { offset: number; size: number }

const MAX_LINK_HOPS = 40

/**
 * Links among the members become the members they name: `docker save` writes
 * a layer that repeats an earlier one as a symlink to it. Only a name that
 * is itself a file member of the archive counts; a link out of it (absolute,
 * "..") or round in a loop names nothing.
 */
function resolveLinks(members: Map<string, Member>, links: Map<string, string>): void {
  for (const [name, first] of links) {
    let target = first
    for (let hops = 0; links.has(target) && hops < MAX_LINK_HOPS; hops++) target = links.get(target)!
    const member = members.get(target)
    if (member !== undefined && !members.has(name)) members.set(name, member)
  }
}

/**
 * A file of the archive to read by position: an unlinked temp file in
 * tmpDir, opened first and removed at once, so the kernel frees it when
 * the process ends however it ends (Ctrl-C, SIGKILL). open(2) with
 * O_TMPFILE would leave no window at all, but Node has no constant for it
 * and its value differs between architectures; a name left by a kill in
 * the window says its pid, and image rm and prune sweep it (image-gc.ts).
 */
function unlinkedTemp(tmpDir: string, what: string): number {
  const path = join(tmpDir, `${what}.${process.pid}.${randomBytes(4).toString('hex')}.tar`)
  const fd = openSync(path, 'wx+', 0o600)
  unlinkSync(path)
  return fd
}

/** from (a stream) into a new unlinked temp file, through gunzip when isGzip; returns its fd */
async function copyToTemp(from: NodeJS.ReadableStream, tmpDir: string, isGzip: boolean): Promise<number> {
  const fd = unlinkedTemp(tmpDir, 'archive')
  try {
    // written by hand: a WriteStream on an fd it must not close closes it anyway when the pipeline fails (Node 20)
    const to = async (chunks: AsyncIterable<Buffer | string>): Promise<void> => {
      for await (const chunk of chunks) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
        for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done)
      }
    }
    if (isGzip) await pipeline(from, createGunzip(), to)
    else await pipeline(from, to)
    return fd
  } catch (err) {
    closeSync(fd)
    throw err
  }
}

/** the first two bytes of an fd read by position, to tell gzip (1f 8b) */
function isGzipAt(fd: number): boolean {
  const magic = Buffer.alloc(2)
  return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b
}

/**
 * The archive as a plain tar that can be read by position: the file itself;
 * a gzip one decompressed into a temp file; one that cannot be read by
 * position (stdin, a pipe, a FIFO) copied into a temp file first.
 */
async function seekableTar(opened: number, isStdin: boolean, tmpDir: string): Promise<{ fd: number; isOwned: boolean }> {
  let fd = opened
  // stdin is not this module's to close
  let isOwned = !isStdin
  try {
    if (!fstatSync(fd).isFile()) {
      const copy = await copyToTemp(createReadStream('', { fd, autoClose: false }), tmpDir, false)
      if (isOwned) closeSync(fd)
      fd = copy
      isOwned = true
    }
    if (!isGzipAt(fd)) return { fd, isOwned }
    const plain = await copyToTemp(createReadStream('', { fd, autoClose: false, start: 0 }), tmpDir, true)
    if (isOwned) closeSync(fd)
    return { fd: plain, isOwned: true }
  } catch (err) {
    if (isOwned) closeSync(fd)
    throw err
  }
}

export class ArchiveSource implements BlobSource {
  private isClosed = false
  private constructor(private readonly fd: number, private readonly isOwned: boolean, private readonly members: Map<string, Member>, readonly description: string) {}

  /** the archive file, or stdin for "-"; tmpDir takes the (unlinked) temp files */
  static async open(file: string, tmpDir: string): Promise<ArchiveSource> {
    const description = file === '-' ? 'archive on stdin' : `archive "${file}"`
    let opened: number
    try {
      opened = file === '-' ? 0 : openSync(file, 'r')
    } catch (err) {
      throw new Error(`open ${description}`, { cause: err })
    }
    let tar: { fd: number; isOwned: boolean }
    try {
      tar = await seekableTar(opened, file === '-', tmpDir)
    } catch (err) {
      throw new Error(`read ${description}`, { cause: err })
    }
    const members = new Map<string, Member>()
    try {
      const links = new Map<string, string>()
      for await (const { header, offset } of readTar(createReadStream('', { fd: tar.fd, autoClose: false, start: 0 }))) {
        const name = posix.normalize(header.name)
        if (header.type === 'file') members.set(name, { offset, size: header.size })
        // a symlink's target is relative to its directory, a hard link's to the archive
        else if (header.type === 'symlink') links.set(name, posix.isAbsolute(header.linkName) ? header.linkName : posix.join(posix.dirname(name), header.linkName))
        else if (header.type === 'hardlink') links.set(name, posix.normalize(header.linkName))
      }
      resolveLinks(members, links)
    } catch (err) {
      if (tar.isOwned) closeSync(tar.fd)
      throw new Error(`read ${description}`, { cause: err })
    }
    return new ArchiveSource(tar.fd, tar.isOwned, members, description)
  }

  /** which kind of image archive it is: a `docker save` one has manifest.json and no oci-layout */
  get kind(): 'docker-archive' | 'oci-archive' {
    return this.has('manifest.json') && !this.has('oci-layout') ? 'docker-archive' : 'oci-archive'
  }

  private member(path: string): Member {
    const m = this.members.get(posix.normalize(path))
    if (m === undefined) throw new Error(`read "${path}" in ${this.description}: no such member`)
    return m
  }
  has(path: string): boolean {
    return this.members.has(posix.normalize(path))
  }
  readAll(path: string): Buffer {
    const { offset, size } = this.member(path)
    const out = Buffer.alloc(size)
    for (let done = 0; done < size;) {
      const n = readSync(this.fd, out, done, size - done, offset + done)
      if (n === 0) throw new Error(`read "${path}" in ${this.description}: the archive ends inside it`)
      done += n
    }
    return out
  }
  stream(path: string): AsyncIterable<Buffer> {
    const { offset, size } = this.member(path)
    if (size === 0) return (async function* () { /* empty */ })()
    // by position on the one fd: the temp file of a gzip archive has no name to open again
    return createReadStream('', { fd: this.fd, autoClose: false, start: offset, end: offset + size - 1 })
  }
  close(): void {
    if (this.isOwned && !this.isClosed) closeSync(this.fd)
    this.isClosed = true
  }
}
