// The tar reader: ustar, PAX, GNU long names, base-256, truncation and corruption.
import t from 'tap'

import { readTar, type TarHeader } from '../../../src/images/tar-reader'
import { buildTar, chunked } from './fixtures/tar-builder'

async function readAll(data: Buffer, chunk = 7): Promise<{ header: TarHeader; body: string }[]> {
  const out = []
  for await (const { header, body } of readTar(chunked(data, chunk))) {
    const parts: Buffer[] = []
    for await (const c of body) parts.push(c)
    out.push({ header, body: Buffer.concat(parts).toString() })
  }
  return out
}

t.test('reads files, dirs, links and devices in small chunks', async (t) => {
  const tar = buildTar([
    { name: 'dir/', type: '5', mode: 0o4755, uid: 1000, gid: 100 },
    { name: 'dir/file', data: 'hello\n'.repeat(200), mode: 0o6711 },
    { name: 'dir/link', type: '2', linkName: '../x' },
    { name: 'dir/hard', type: '1', linkName: 'dir/file' },
    { name: 'dev/null', type: '3', devMajor: 1, devMinor: 3, mode: 0o666 },
  ])
  const entries = await readAll(tar)
  t.same(entries.map((e) => [e.header.name, e.header.type]), [['dir/', 'dir'], ['dir/file', 'file'], ['dir/link', 'symlink'], ['dir/hard', 'hardlink'], ['dev/null', 'char']])
  t.equal(entries[0].header.mode, 0o4755)
  t.equal(entries[0].header.uid, 1000)
  t.equal(entries[1].body, 'hello\n'.repeat(200))
  t.equal(entries[1].header.mode, 0o6711)
  t.equal(entries[2].header.linkName, '../x')
  t.same([entries[4].header.devMajor, entries[4].header.devMinor], [1, 3])
})

t.test('applies PAX long names and xattrs', async (t) => {
  const long = 'a/'.repeat(80) + 'file'
  const tar = buildTar([{ name: long, data: 'x', pax: { 'SCHILY.xattr.security.capability': 'cap', uid: '70000' } }])
  const [entry] = await readAll(tar, 512)
  t.equal(entry.header.name, long)
  t.equal(entry.header.uid, 70000)
  t.equal(entry.header.xattrs.get('security.capability')?.toString(), 'cap')
})

t.test('skips bodies the consumer does not read', async (t) => {
  const tar = buildTar([{ name: 'a', data: 'A'.repeat(1000) }, { name: 'b', data: 'B' }])
  const names = []
  for await (const { header, body } of readTar(chunked(tar, 100))) {
    names.push(header.name)
    if (header.name === 'a') for await (const _ of body) break
  }
  t.same(names, ['a', 'b'])
})

t.test('refuses corrupt and truncated archives', async (t) => {
  const tar = buildTar([{ name: 'a', data: 'A'.repeat(1000) }])
  const corrupt = Buffer.from(tar)
  corrupt[10] ^= 0xff
  await t.rejects(readAll(corrupt), { message: /checksum mismatch/ })
  await t.rejects(readAll(tar.subarray(0, 700)), { message: /truncated/ })
  t.same(await readAll(Buffer.alloc(0)), [])
})

t.test('reads GNU base-256 sizes', async (t) => {
  const tar = buildTar([{ name: 'a', data: 'abc' }])
  tar.fill(0, 124, 136)
  tar[124] = 0x80
  tar[135] = 3
  tar.fill(0x20, 148, 156)
  let sum = 0
  for (let i = 0; i < 512; i++) sum += tar[i]
  tar.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1')
  const [entry] = await readAll(tar)
  t.equal(entry.body, 'abc')
})

t.test('bounds the PAX metadata that piles up across headers', async (t) => {
  const big = (key: string): Record<string, string> => ({ [key]: 'v'.repeat(400_000) })
  const global = buildTar([...[1, 2, 3].map((i) => ({ name: 'g', type: 'g', pax: big(`podshim.global${i}`) })), { name: 'a', data: 'A' }])
  await t.rejects(readAll(global, 65536), { message: /pax headers of more than 1048576 bytes/ })
  const local = buildTar([...[1, 2, 3].map((i) => ({ name: 'x', type: 'x', pax: big(`podshim.local${i}`) })), { name: 'a', data: 'A' }])
  await t.rejects(readAll(local, 65536), { message: /pax headers of more than 1048576 bytes/ })
  const fine = buildTar([{ name: 'g', type: 'g', pax: { mtime: '1600000000' } }, { name: 'a', data: 'A' }, { name: 'b', data: 'B' }])
  t.same((await readAll(fine)).map((e) => e.header.mtimeSeconds), [1600000000, 1600000000], 'a global header applies to every later entry')
})

t.test('a legacy entry of type NUL whose name ends in "/" is a directory, as Go\'s archive/tar reads it', async (t) => {
  const tar = buildTar([{ name: 'old/', type: '\0' }, { name: 'old/file', type: '\0', data: 'x' }])
  t.same((await readAll(tar)).map((e) => [e.header.name, e.header.type, e.body]), [['old/', 'dir', ''], ['old/file', 'file', 'x']])
})
