'use strict'
// A writer for the "newc" cpio format, the one the kernel unpacks as an
// initramfs. Writing it here (instead of piping names into cpio(1)) lets the
// runner place any host file at any path in the guest without copying it into
// a staging tree first, keep symlinks as symlinks, and add /dev/console
// without being able to mknod on the host.
const fs = require('node:fs')

const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const S_IFCHR = 0o020000

const hex8 = (n) => n.toString(16).padStart(8, '0')
const pad4 = (n) => (4 - (n % 4)) % 4

class CpioWriter {
  /** @param {(chunk: Buffer) => void} write sink for the archive bytes */
  constructor (write) {
    this.write = write
    this.ino = 1
    this.seen = new Set()
    this.bytes = 0
    this.entries = 0
  }

  #emit (buf) {
    this.bytes += buf.length
    this.write(buf)
  }

  #header (name, mode, size, nlink, mtime, rdevMajor = 0, rdevMinor = 0) {
    const nameBuf = Buffer.from(name + '\0')
    const fields = [
      this.ino++, mode, 0, 0, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor,
      nameBuf.length, 0
    ]
    const head = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii')
    this.#emit(head)
    this.#emit(nameBuf)
    this.#emit(Buffer.alloc(pad4(head.length + nameBuf.length)))
    this.entries++
  }

  #norm (name) {
    const n = name.replace(/^\/+/, '').replace(/\/+$/, '')
    if (!n || n.split('/').some((p) => p === '..' || p === '.')) {
      throw new Error(`cpio: bad archive path ${JSON.stringify(name)}`)
    }
    return n
  }

  /** Add every missing parent directory of name (the kernel does not make them). */
  #parents (name) {
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) this.dir(parts.slice(0, i).join('/'))
  }

  dir (name, mode = 0o755) {
    name = this.#norm(name)
    if (this.seen.has(name)) return
    this.#parents(name)
    this.seen.add(name)
    this.#header(name, S_IFDIR | (mode & 0o7777), 0, 2, 0)
  }

  /** Add a regular file with the given contents (Buffer or string). */
  data (name, contents, mode = 0o644, mtime = 0) {
    name = this.#norm(name)
    if (this.seen.has(name)) throw new Error(`cpio: ${name} added twice`)
    this.#parents(name)
    this.seen.add(name)
    const buf = Buffer.isBuffer(contents) ? contents : Buffer.from(contents)
    this.#header(name, S_IFREG | (mode & 0o7777), buf.length, 1, mtime)
    this.#emit(buf)
    this.#emit(Buffer.alloc(pad4(buf.length)))
  }

  symlink (name, target) {
    name = this.#norm(name)
    if (this.seen.has(name)) throw new Error(`cpio: ${name} added twice`)
    this.#parents(name)
    this.seen.add(name)
    const buf = Buffer.from(target)
    this.#header(name, S_IFLNK | 0o777, buf.length, 1, 0)
    this.#emit(buf)
    this.#emit(Buffer.alloc(pad4(buf.length)))
  }

  chardev (name, major, minor, mode = 0o600) {
    name = this.#norm(name)
    this.#parents(name)
    this.seen.add(name)
    this.#header(name, S_IFCHR | (mode & 0o7777), 0, 1, 0, major, minor)
  }

  /**
   * Copy a host path (file, symlink or whole directory tree) to name.
   * follow: archive what a symlink points at instead of the link.
   * skip(relPath, stat): return true to leave an entry (and its subtree) out.
   */
  copy (hostPath, name, { follow = false, skip } = {}) {
    const walk = (src, dst, rel) => {
      const st = follow ? fs.statSync(src) : fs.lstatSync(src)
      if (skip && rel && skip(rel, st)) return
      const type = st.mode & S_IFMT
      if (type === S_IFDIR) {
        this.dir(dst, st.mode)
        for (const e of fs.readdirSync(src).sort()) {
          walk(`${src}/${e}`, `${dst}/${e}`, rel ? `${rel}/${e}` : e)
        }
      } else if (type === S_IFLNK) {
        this.symlink(dst, fs.readlinkSync(src))
      } else if (type === S_IFREG) {
        this.data(dst, fs.readFileSync(src), st.mode, Math.floor(st.mtimeMs / 1000))
      }
      // sockets, fifos and devices on the host are never copied
    }
    walk(hostPath, name, '')
  }

  end () {
    this.#header('TRAILER!!!', 0, 0, 1, 0)
    // the kernel reads archives in 512-byte blocks; pad like cpio(1) does
    this.#emit(Buffer.alloc(pad4(0) + ((512 - (this.bytes % 512)) % 512)))
  }
}

module.exports = { CpioWriter }
