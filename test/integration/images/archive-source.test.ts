// Archives read in place (blob-source.ts): a gzip-compressed one is first
// decompressed into the store's tmp directory, and a corrupt or truncated
// one must leave nothing there and say which archive is at fault.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { ArchiveSource, archiveKind } from '../../../src/images/blob-source'
import { buildTar, buildTarGz } from '../../unit/images/fixtures/tar-builder'
import { tempDir } from './fixtures/temp-dirs'

t.test('a truncated gzip archive is refused, naming it, and leaves no temp file', async (t) => {
  const dir = tempDir(t, 'podshim-archive-')
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const gz = buildTarGz([{ name: 'index.json', data: 'x'.repeat(100_000) }, { name: 'oci-layout', data: '{}' }])
  const file = join(dir, 'image.tar.gz')
  writeFileSync(file, gz.subarray(0, gz.length / 2))
  await t.rejects(ArchiveSource.open(file, tmp), { message: `read archive "${file}"`, cause: { code: 'Z_BUF_ERROR' } })
  t.same(readdirSync(tmp), [])
})

t.test('a gzip archive is read and its temp file removed on close', async (t) => {
  const dir = tempDir(t, 'podshim-archive-')
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const file = join(dir, 'image.tar.gz')
  writeFileSync(file, buildTarGz([{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }]))
  const source = await ArchiveSource.open(file, tmp)
  t.equal(source.readAll('oci-layout').toString(), '{"imageLayoutVersion":"1.0.0"}')
  t.equal(readdirSync(tmp).length, 1)
  source.close()
  t.same(readdirSync(tmp), [])
})

t.test('members that are links to other members are read through them, within the archive only', async (t) => {
  const dir = tempDir(t, 'podshim-archive-')
  const file = join(dir, 'save.tar')
  // docker save writes a layer that repeats an earlier one's diff as a symlink to it
  writeFileSync(file, buildTar([
    { name: 'aaa/', type: '5' },
    { name: 'aaa/layer.tar', data: 'layer bytes' },
    { name: 'bbb/', type: '5' },
    { name: 'bbb/layer.tar', type: '2', linkName: '../aaa/layer.tar' },
    { name: 'ccc/layer.tar', type: '1', linkName: 'aaa/layer.tar' },
    { name: 'ddd/layer.tar', type: '2', linkName: '../bbb/layer.tar' },
    { name: 'out/layer.tar', type: '2', linkName: '../../etc/passwd' },
    { name: 'abs/layer.tar', type: '2', linkName: '/aaa/layer.tar' },
    { name: 'abs/aaa/layer.tar', data: 'not what an absolute link names' },
    { name: 'loop/a', type: '2', linkName: 'b' },
    { name: 'loop/b', type: '2', linkName: 'a' },
  ]))
  const source = await ArchiveSource.open(file, dir)
  t.teardown(() => source.close())
  for (const name of ['bbb/layer.tar', 'ccc/layer.tar', 'ddd/layer.tar']) {
    t.equal(source.readAll(name).toString(), 'layer bytes', name)
    const parts: Buffer[] = []
    for await (const chunk of source.stream(name)) parts.push(chunk)
    t.equal(Buffer.concat(parts).toString(), 'layer bytes', `${name} streamed`)
  }
  for (const name of ['out/layer.tar', 'abs/layer.tar', 'loop/a']) {
    t.notOk(source.has(name), `${name} leads nowhere in the archive`)
    t.throws(() => source.readAll(name), { message: `read "${name}" in archive "${file}": no such member` })
  }
})

t.test('archiveKind tells a docker save archive from an OCI one by streaming its names, gzip or not', async (t) => {
  const dir = tempDir(t, 'podshim-archive-')
  const docker = [{ name: 'manifest.json', data: '[]' }, { name: 'abc/layer.tar', data: 'x' }]
  const oci = [{ name: './oci-layout', data: '{}' }, { name: 'index.json', data: '{}' }, { name: 'manifest.json', data: '[]' }]
  const cases: [string, Buffer, string][] = [
    ['save.tar', buildTar(docker), 'docker-archive'],
    ['save.tar.gz', buildTarGz(docker), 'docker-archive'],
    ['oci.tar', buildTar(oci), 'oci-archive'],
    ['oci.tar.gz', buildTarGz(oci), 'oci-archive'],
  ]
  for (const [name, bytes, kind] of cases) {
    writeFileSync(join(dir, name), bytes)
    t.equal(await archiveKind(join(dir, name)), kind, name)
  }
  const cut = buildTarGz(docker)
  writeFileSync(join(dir, 'cut.tar.gz'), cut.subarray(0, cut.length - 20))
  await t.rejects(archiveKind(join(dir, 'cut.tar.gz')), { message: `read archive "${join(dir, 'cut.tar.gz')}"` })
  await t.rejects(archiveKind(join(dir, 'none.tar')), { message: `read archive "${join(dir, 'none.tar')}"`, cause: { code: 'ENOENT' } })
})
