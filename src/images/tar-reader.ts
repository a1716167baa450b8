// A streaming reader of the tar formats image layers use: ustar (with the
// 155-byte prefix), GNU long names/links ('L'/'K') and base-256 numbers, and
// PAX extended headers ('x', 'g') for long paths, sizes, ids, times and
// SCHILY.xattr.*. Written here rather than taken from npm so that nothing is
// ever written to disk by the parser: it only yields headers and file bodies,
// and the extractor decides where (if anywhere) they may go. Sparse files
// and other exotic types are reported as such so the caller can refuse them.
// Reference: POSIX pax(1) "ustar Interchange Format", GNU tar manual "Basic Tar Format".

const BLOCK_BYTES = 512
const MAX_META_BYTES = 1 << 20

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other'

export interface TarHeader {
  /** the raw name as stored in the archive (PAX/GNU long names applied) */
  name: string
  type: TarEntryType
  /** the type flag character, for error messages about 'other' entries */
  typeFlag: string
  linkName: string
  /** permission bits including setuid/setgid/sticky */
  mode: number
  uid: number
  gid: number
  size: number
  mtimeSeconds: number
  devMajor: number
  devMinor: number
  /** SCHILY.xattr.* from PAX headers: name → raw value */
  xattrs: Map<string, Buffer>
}

export interface TarEntry {
  header: TarHeader
  /** the body; consume it fully (or not at all) before asking for the next entry */
  body: AsyncIterable<Buffer>
  /** where the body starts in the (uncompressed) stream, for random access to archive members */
  offset: number
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private chunks: Buffer[] = []
  private buffered = 0
  /** bytes handed out so far: the offset in the stream of the next byte */
  position = 0
  private readonly iterator: AsyncIterator<Buffer>
  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]()
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      const next = await this.iterator.next()
      if (next.done === true) return false
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value)
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    return true
  }

  /** exactly n bytes, or null at a clean end of stream; throws on a truncated one */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return null
      throw new Error(`read tar: archive is truncated (wanted ${n} bytes, ${this.buffered} left)`)
    }
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    this.chunks = rest.length > 0 ? [rest] : []
    this.buffered = rest.length
    this.position += n
    return out
  }

  /** up to max bytes (at least one), for streaming bodies */
  async readSome(max: number): Promise<Buffer> {
    if (this.buffered === 0 && !(await this.fill(1))) throw new Error('read tar: archive is truncated inside a file body')
    return (await this.read(Math.min(max, this.buffered)))!
  }
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length)
  const nul = field.indexOf(0)
  return field.subarray(0, nul < 0 ? length : nul).toString('utf8')
}

function number(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length)
  if ((field[0] & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement with the top bit as the marker
    if ((field[0] & 0x40) !== 0) throw new Error('read tar: negative base-256 number')
    let value = field[0] & 0x3f
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]
    if (!Number.isSafeInteger(value)) throw new Error('read tar: base-256 number is too large')
    return value
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '')
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new Error(`read tar: numeric field "${text}" is not octal`)
  return parseInt(text, 8)
}

function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false
  return true
}

function checksumOk(block: Buffer): boolean {
  const stored = number(block, 148, 8)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK_BYTES; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  return stored === unsigned || stored === signed
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
}

/** PAX records: "LEN key=value\n"; the map, however many headers fill it, stays within MAX_META_BYTES */
function parsePax(data: Buffer, into: Map<string, Buffer>): void {
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    if (space < 0) throw new Error('read tar: malformed pax header')
    const length = Number(data.subarray(at, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= space - at || at + length > data.length) throw new Error('read tar: malformed pax record length')
    const record = data.subarray(space + 1, at + length - 1)
    const eq = record.indexOf(0x3d)
    if (eq < 0) throw new Error('read tar: malformed pax record')
    // a copy: a slice would keep the whole header's buffer alive beyond what is counted
    into.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)))
    at += length
  }
  let bytes = 0
  for (const [key, value] of into) bytes += key.length + value.length
  if (bytes > MAX_META_BYTES) throw new Error(`read tar: pax headers of more than ${MAX_META_BYTES} bytes`)
}

async function readPadded(reader: ByteReader, size: number): Promise<Buffer> {
  if (size > MAX_META_BYTES) throw new Error(`read tar: metadata entry of ${size} bytes is too large`)
  const data = await reader.read(size)
  const pad = (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES
  if (pad > 0) await reader.read(pad)
  if (data === null) throw new Error('read tar: archive is truncated in a metadata entry')
  return data
}

function applyPax(header: TarHeader, pax: Map<string, Buffer>): void {
  for (const [key, value] of pax) {
    const text = value.toString('utf8')
    if (key === 'path') header.name = text
    else if (key === 'linkpath') header.linkName = text
    else if (key === 'size') header.size = Number(text)
    else if (key === 'uid') header.uid = Number(text)
    else if (key === 'gid') header.gid = Number(text)
    else if (key === 'mtime') header.mtimeSeconds = Math.floor(Number(text))
    else if (key.startsWith('SCHILY.xattr.')) header.xattrs.set(key.slice('SCHILY.xattr.'.length), value)
    else if (key === 'GNU.sparse.major' || key === 'GNU.sparse.name') header.type = 'other'
  }
  for (const [field, value] of [['size', header.size], ['uid', header.uid], ['gid', header.gid]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`read tar: pax ${field} of "${header.name}" is not a valid number`)
  }
}

/** Yields the entries of a tar stream in order; bodies stream from the source. */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source)
  const globalPax = new Map<string, Buffer>()
  let pax = new Map<string, Buffer>()
  let longName: string | null = null
  let longLink: string | null = null
  for (;;) {
    const block = await reader.read(BLOCK_BYTES)
    if (block === null || isZeroBlock(block)) return
    if (!checksumOk(block)) throw new Error('read tar: header checksum mismatch (not a tar archive, or corrupt)')
    const typeFlag = String.fromCharCode(block[156])
    const size = number(block, 124, 12)
    if (typeFlag === 'x' || typeFlag === 'g') {
      parsePax(await readPadded(reader, size), typeFlag === 'g' ? globalPax : pax)
      continue
    }
    if (typeFlag === 'L' || typeFlag === 'K') {
      const value = (await readPadded(reader, size)).toString('utf8').replace(/\0+$/, '')
      if (typeFlag === 'L') longName = value
      else longLink = value
      continue
    }
    const isUstar = block.subarray(257, 262).toString('latin1') === 'ustar'
    const prefix = isUstar ? cString(block, 345, 155) : ''
    const name = cString(block, 0, 100)
    const header: TarHeader = {
      name: longName ?? (prefix !== '' ? `${prefix}/${name}` : name),
      type: TYPES[typeFlag] ?? 'other',
      typeFlag,
      linkName: longLink ?? cString(block, 157, 100),
      mode: number(block, 100, 8) & 0o7777,
      uid: number(block, 108, 8),
      gid: number(block, 116, 8),
      size,
      mtimeSeconds: number(block, 136, 12),
      devMajor: isUstar ? number(block, 329, 8) : 0,
      devMinor: isUstar ? number(block, 337, 8) : 0,
      xattrs: new Map(),
    }
    applyPax(header, new Map([...globalPax, ...pax]))
    // pre-POSIX archives mark a directory only by the trailing slash (as Go's archive/tar reads them)
    if (typeFlag === '\0' && header.name.endsWith('/')) header.type = 'dir'
    pax = new Map()
    longName = null
    longLink = null
    // only regular files (and unknown types) carry data; a hard link's size field is ignored as GNU tar does
    const bodySize = header.type === 'file' || header.type === 'other' ? header.size : 0
    const state = { left: bodySize, isPadded: false }
    yield { header, body: bodyOf(reader, state, bodySize), offset: reader.position }
    // whatever the consumer left unread is skipped
    for await (const _ of bodyOf(reader, state, bodySize)) { /* discard */ }
  }
}

async function* bodyOf(reader: ByteReader, state: { left: number; isPadded: boolean }, size: number): AsyncGenerator<Buffer> {
  while (state.left > 0) {
    const chunk = await reader.readSome(Math.min(state.left, 1 << 20))
    state.left -= chunk.length
    yield chunk
  }
  if (state.isPadded) return
  state.isPadded = true
  const pad = (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES
  if (pad > 0 && (await reader.read(pad)) === null) throw new Error('read tar: archive is truncated in padding')
}
