// Archives read in place (blob-source.ts): a gzip-compressed one is first
// decompressed into an unlinked temp file in the store's tmp directory,
// so nothing is left there, and a corrupt or truncated one says which
// archive is at fault.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { ArchiveSource } from '../../../src/images/blob-source'
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

t.test('a gzip archive is read from a temp file that has no name even while it is open', async (t) => {
  const dir = tempDir(t, 'podshim-archive-')
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp)
  const file = join(dir, 'image.tar.gz')
  writeFileSync(file, buildTarGz([{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }]))
  const source = await ArchiveSource.open(file, tmp)
  t.teardown(() => source.close())
  t.equal(source.readAll('oci-layout').toString(), '{"imageLayoutVersion":"1.0.0"}')
  t.same(readdirSync(tmp), [], 'unlinked once opened: a kill (SIGINT, SIGKILL) leaves nothing')
  const parts: Buffer[] = []
  for await (const chunk of source.stream('oci-layout')) parts.push(chunk)
  t.equal(Buffer.concat(parts).toString(), '{"imageLayoutVersion":"1.0.0"}', 'streamed from it')
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

t.test('an opened archive tells a docker save archive from an OCI one by its members, gzip or not', async (t) => {
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
    const source = await ArchiveSource.open(join(dir, name), dir)
    t.equal(source.kind, kind, name)
    source.close()
  }
  const cut = buildTarGz(docker)
  writeFileSync(join(dir, 'cut.tar.gz'), cut.subarray(0, cut.length - 20))
  await t.rejects(ArchiveSource.open(join(dir, 'cut.tar.gz'), dir), { message: `read archive "${join(dir, 'cut.tar.gz')}"` })
  await t.rejects(ArchiveSource.open(join(dir, 'none.tar'), dir), { message: `open archive "${join(dir, 'none.tar')}"`, cause: { code: 'ENOENT' } })
})
