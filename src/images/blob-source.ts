// Where local images are read from: a directory (an `oci:` layout) or a tar
// archive (`oci-archive:`, `docker-archive:`) read in place. An archive is
// scanned once for its members' offsets and members are then streamed
// straight from the file, so a multi-gigabyte `docker save` is never
// unpacked to disk; a gzip-compressed archive is first decompressed into
// the store's tmp directory. Member names are looked up, never extracted,
// so names with ".." cannot reach anything; links between members are
// followed only to other members.
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'

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
 * Which kind of image archive a file is, from its member names: a `docker
 * save` archive has manifest.json and no oci-layout. The names are read as
 * the archive streams by (decompressed on the fly), so nothing is written.
 */
export async function archiveKind(file: string): Promise<'docker-archive' | 'oci-archive'> {
  const names = new Set<string>()
  try {
    const handle = await open(file, 'r')
    const magic = Buffer.alloc(2)
    await handle.read(magic, 0, 2, 0).finally(() => handle.close())
    const raw = createReadStream(file)
    const stream = magic[0] === 0x1f && magic[1] === 0x8b ? raw.pipe(createGunzip()) : raw
    try {
      for await (const { header } of readTar(stream)) names.add(posix.normalize(header.name))
    } finally {
      raw.destroy()
      stream.destroy()
    }
  } catch (err) {
    throw new Error(`read archive "${file}"`, { cause: err })
  }
  return names.has('manifest.json') && !names.has('oci-layout') ? 'docker-archive' : 'oci-archive'
}

export class ArchiveSource implements BlobSource {
  private constructor(readonly file: string, private readonly members: Map<string, Member>, readonly description: string, private readonly tempFile: string | null) {}

  static async open(file: string, tmpDir: string): Promise<ArchiveSource> {
    let path = file
    let tempFile: string | null = null
    const handle = await open(file, 'r').catch((err: unknown) => { throw new Error(`open archive "${file}"`, { cause: err }) })
    const magic = Buffer.alloc(2)
    await handle.read(magic, 0, 2, 0)
    await handle.close()
    const members = new Map<string, Member>()
    try {
      if (magic[0] === 0x1f && magic[1] === 0x8b) {
        tempFile = join(tmpDir, `archive.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tar`)
        await pipeline(createReadStream(file), createGunzip(), createWriteStream(tempFile, { mode: 0o600 }))
        path = tempFile
      }
      const links = new Map<string, string>()
      for await (const { header, offset } of readTar(createReadStream(path))) {
        const name = posix.normalize(header.name)
        if (header.type === 'file') members.set(name, { offset, size: header.size })
        // a symlink's target is relative to its directory, a hard link's to the archive
        else if (header.type === 'symlink') links.set(name, posix.isAbsolute(header.linkName) ? header.linkName : posix.join(posix.dirname(name), header.linkName))
        else if (header.type === 'hardlink') links.set(name, posix.normalize(header.linkName))
      }
      resolveLinks(members, links)
    } catch (err) {
      if (tempFile !== null) rmSync(tempFile, { force: true })
      throw new Error(`read archive "${file}"`, { cause: err })
    }
    return new ArchiveSource(path, members, `archive "${file}"`, tempFile)
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
    const fd = openSync(this.file, 'r')
    try {
      const out = Buffer.alloc(size)
      readSync(fd, out, 0, size, offset)
      return out
    } finally {
      closeSync(fd)
    }
  }
  stream(path: string): AsyncIterable<Buffer> {
    const { offset, size } = this.member(path)
    if (size === 0) return (async function* () { /* empty */ })()
    return createReadStream(this.file, { start: offset, end: offset + size - 1 })
  }
  close(): void {
    if (this.tempFile !== null) rmSync(this.tempFile, { force: true })
  }
}
