// The file-system calls layer extraction needs that node:fs lacks: device
// nodes (overlayfs whiteouts are char 0/0) and extended attributes on the
// entry itself, never its symlink target (trusted.overlay.opaque,
// security.capability). Through src/native/libc.ts's ffi-rs wrapper, with
// errno read right after the call; failures throw SyscallError.
// Man pages: mknod(2), lsetxattr(2), lgetxattr(2), makedev(3).
import { constants } from 'node:os'

import { call as libcCall, dataTypes, type DataType } from '../native/libc'
import { SyscallError } from '../native/syscall-error'

/** libc-fs's calls as (types, values) lists, through the one ffi-rs wrapper */
const call = (funcName: string, types: DataType[], values: unknown[], retType?: DataType): { value: number; errno: number } =>
  libcCall(funcName, types.map((type, i) => [type, values[i]]), retType)

export const S_IFCHR = 0o020000
export const S_IFBLK = 0o060000
export const S_IFIFO = 0o010000

/** glibc's makedev(3) encoding */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major)
  const mi = BigInt(minor)
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn)
}

/** mknod(2) of a character/block device or fifo; `type` is S_IFCHR, S_IFBLK or S_IFIFO */
export function mknod(path: string, type: number, mode: number, major: number, minor: number): void {
  const dev = makedev(major, minor)
  const { String: Str, I32, U64 } = dataTypes()
  const { value, errno } = call('mknod', [Str, I32, U64], [path, type | (mode & 0o7777), Number(dev)])
  if (value < 0) throw new SyscallError('mknod', errno, { path })
}

/** lsetxattr(2): set an attribute on the path itself (a symlink is not followed) */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  // ffi-rs passes an empty array badly; a one-byte buffer with size 0 is equivalent
  const data = value.length === 0 ? Buffer.alloc(1) : value
  const { String: Str, U8Array, U64, I32 } = dataTypes()
  const { value: ret, errno } = call('lsetxattr', [Str, Str, U8Array, U64, I32], [path, name, data, value.length, 0])
  if (ret < 0) throw new SyscallError('lsetxattr', errno, { path, dest: name })
}

/** lgetxattr(2); null when the attribute is absent (ENODATA) */
export function lgetxattr(path: string, name: string): Buffer | null {
  const buffer = Buffer.alloc(4096)
  const { String: Str, U8Array, U64, I64 } = dataTypes()
  const { value, errno } = call('lgetxattr', [Str, Str, U8Array, U64], [path, name, buffer, buffer.length], I64)
  if (value < 0) {
    if (errno === constants.errno.ENODATA) return null
    throw new SyscallError('lgetxattr', errno, { path, dest: name })
  }
  return Buffer.from(buffer.subarray(0, value))
}
