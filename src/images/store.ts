// The image store under `<dataRoot>/images/`: content-addressed blobs
// (`blobs/sha256/<hex>`), unpacked layers (`layers/sha256/<diffid hex>/`),
// one record per image (`images/<config hex>.json`) and the names that point
// at them (`refs.json`). Shape: several podshim processes may pull at once
// and any may be killed mid-write, so nothing appears under its final name
// until it is complete and verified — blobs are written to `tmp/`, hashed,
// fsync'd and renamed; layers are unpacked under `tmp/` and renamed; records
// and refs.json are replaced by rename under a lock file. A blob or layer
// that exists is therefore complete, and concurrent writers of the same
// content simply race to an identical rename.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'

import type { ImageConfig } from './resolver'
import { extractLayerFile } from './layer-extract'
import { withLock } from './store-lock'
import { makeDirs } from '../make-dirs'

const STORE_DIRS = ['blobs/sha256', 'layers/sha256', 'images', 'tmp', 'locks', 'holds']

export interface LayerRecord {
  /** digest of the blob as distributed (compressed), and of the tar itself */
  digest: string
  diffId: string
  /** the blob's size as distributed (compressed, or a plain tar from a docker save archive) */
  size: number
  mediaType: string
  /** the bytes of its files once unpacked (image-size.ts); absent in records of an older podshim */
  unpackedSize?: number
}

export interface ImageRecord {
  /** the config digest, as containerd and docker name images */
  id: string
  manifestDigest: string | null
  /** repository@digest names this image was pulled by */
  repoDigests: string[]
  layers: LayerRecord[]
  config: ImageConfig
  platform: string
  created: string | null
  storedAt: string
}

const HEX = /^[a-f0-9]{64}$/

export function digestHex(digest: string): string {
  const hex = digest.startsWith('sha256:') ? digest.slice(7) : ''
  if (!HEX.test(hex)) throw new Error(`parse digest "${digest}": only sha256 digests are supported`)
  return hex
}

export class BlobDigestError extends Error {
  constructor(readonly expected: string, readonly actual: string, readonly size: number) {
    super(`verify blob "${expected}": content has digest "${actual}" (${size} bytes)`)
    this.name = 'BlobDigestError'
  }
}

export class ImageStore {
  readonly root: string
  /** The store under dataRoot, its directories made where missing (errors name the real errno: makeDirs). */
  constructor(dataRoot: string, shouldMakeDirs = true) {
    this.root = join(dataRoot, 'images')
    if (shouldMakeDirs) for (const dir of STORE_DIRS) makeDirs(join(this.root, dir), 0o700)
  }

  /**
   * The store under dataRoot if there is one, else null; makes nothing, for
   * the commands that only read. A data root below a regular file throws
   * (ENOTDIR), as does an `images` that is not a directory.
   */
  static ifPresent(dataRoot: string): ImageStore | null {
    const root = join(dataRoot, 'images')
    const stat = statSync(root, { throwIfNoEntry: false })
    if (stat === undefined) return null
    if (!stat.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, stat '${root}'`), { code: 'ENOTDIR', syscall: 'stat', path: root })
    return new ImageStore(dataRoot, false)
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs/sha256', digestHex(digest))
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest))
  }

  layerPath(diffId: string): string {
    return join(this.root, 'layers/sha256', digestHex(diffId))
  }

  hasLayer(diffId: string): boolean {
    return existsSync(this.layerPath(diffId))
  }

  /** a temp name that says which process owns it, so leftovers of dead pulls can be swept */
  private tempName(what: string): string {
    return join(this.root, 'tmp', `${what}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`)
  }

  /** Write a blob from a stream, verifying digest (and size when known) before it gets its name. */
  async writeBlob(digest: string, source: AsyncIterable<Buffer> | Buffer, expectedSize?: number): Promise<string> {
    const final = this.blobPath(digest)
    const temp = this.tempName(`blob-${digestHex(digest)}`)
    const hash = createHash('sha256')
    let size = 0
    const handle = await open(temp, 'wx', 0o600)
    let isTooBig = false
    try {
      for await (const chunk of Buffer.isBuffer(source) ? [source] : source) {
        hash.update(chunk)
        size += chunk.length
        // leaving the loop closes the source: an endless body is not read on
        isTooBig = expectedSize !== undefined && size > expectedSize
        if (isTooBig) break
        await handle.write(chunk)
      }
      await handle.sync()
    } catch (err) {
      await handle.close()
      rmSync(temp, { force: true })
      // a connection lost mid-body says only "aborted": name the blob
      throw new Error(`fetch blob "${digest}"`, { cause: err })
    }
    await handle.close()
    const actual = `sha256:${hash.digest('hex')}`
    if (isTooBig || actual !== digest || (expectedSize !== undefined && size !== expectedSize)) {
      rmSync(temp, { force: true })
      if (isTooBig) throw new Error(`fetch blob "${digest}": more than the ${expectedSize} bytes the manifest gives`)
      if (actual !== digest) throw new BlobDigestError(digest, actual, size)
      throw new Error(`verify blob "${digest}": ${size} bytes where the manifest gives ${expectedSize}`)
    }
    renameSync(temp, final)
    return final
  }

  readBlob(digest: string): Buffer {
    return readFileSync(this.blobPath(digest))
  }

  /** Unpack a stored layer blob once; the diff ID it yields must match the image config's. */
  async unpackLayer(blobDigest: string, diffId: string): Promise<string> {
    const final = this.layerPath(diffId)
    if (existsSync(final)) return final
    const temp = this.tempName(`layer-${digestHex(diffId)}`)
    mkdirSync(temp, { mode: 0o755 })
    try {
      const actual = await extractLayerFile(this.blobPath(blobDigest), temp)
      if (actual !== diffId) throw new Error(`unpack layer "${blobDigest}": uncompressed digest "${actual}" is not the config's diff ID "${diffId}"`)
      renameSync(temp, final)
    } catch (err) {
      rmSync(temp, { recursive: true, force: true })
      // another pull finished the same layer first: theirs is as good as ours
      if (existsSync(final) && ['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) return final
      throw err
    }
    return final
  }

  putImage(record: ImageRecord, names: string[]): void {
    withLock(join(this.root, 'locks'), 'refs', () => {
      writeAtomic(join(this.root, 'images', `${digestHex(record.id)}.json`), JSON.stringify(record, null, 2) + '\n')
      const refs = this.readRefs()
      for (const name of names) refs[name] = record.id
      writeAtomic(join(this.root, 'refs.json'), JSON.stringify(refs, null, 2) + '\n')
    })
  }

  readRefs(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(join(this.root, 'refs.json'), 'utf8')) as Record<string, string>
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw new Error(`read image index "${join(this.root, 'refs.json')}"`, { cause: err })
    }
  }

  getImage(id: string): ImageRecord | null {
    try {
      return JSON.parse(readFileSync(join(this.root, 'images', `${digestHex(id)}.json`), 'utf8')) as ImageRecord
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  /** an image by name, full ID, or unique ID prefix (as `docker images` shows them) */
  findImage(nameOrId: string): ImageRecord | null {
    const refs = this.readRefs()
    if (refs[nameOrId] !== undefined) return this.getImage(refs[nameOrId])
    const prefix = nameOrId.replace(/^sha256:/, '')
    if (!/^[a-f0-9]{4,64}$/.test(prefix)) return null
    const matches = this.listImages().filter((r) => digestHex(r.id).startsWith(prefix))
    return matches.length === 1 ? matches[0] : null
  }

  listImages(): ImageRecord[] {
    return dirEntries(join(this.root, 'images')).filter((f) => f.endsWith('.json')).map((f) => this.getImage(`sha256:${f.slice(0, -5)}`)).filter((r): r is ImageRecord => r !== null)
  }

  namesOf(id: string): string[] {
    return Object.entries(this.readRefs()).filter(([, v]) => v === id).map(([k]) => k).sort()
  }

  /** drop names (all of an image's when given its ID) and the record once no name is left */
  removeNames(names: string[], id: string): void {
    withLock(join(this.root, 'locks'), 'refs', () => {
      const refs = this.readRefs()
      for (const name of names) delete refs[name]
      writeAtomic(join(this.root, 'refs.json'), JSON.stringify(refs, null, 2) + '\n')
      if (!Object.values(refs).includes(id)) rmSync(join(this.root, 'images', `${digestHex(id)}.json`), { force: true })
    })
  }
}

/** the names in a store directory; none when it is missing (a store an interrupted first run left partial) */
export function dirEntries(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** write, fsync, rename: readers see the old file or the new one, never half of one */
export function writeAtomic(path: string, text: string): void {
  const temp = `${path}.tmp.${process.pid}`
  const fd = openSync(temp, 'w', 0o600)
  try {
    writeFileSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, path)
}
