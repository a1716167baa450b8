// An image's size as `image ls` shows it: the bytes of the files of its
// unpacked layers (a hard link once, directories and empty files nothing),
// printed as `docker images` prints sizes.
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { formatSize, unpackedSize } from '../../../src/images/image-size'

t.test('the bytes of a layer\'s files, each inode once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-size-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'etc/deeper'), { recursive: true })
  writeFileSync(join(dir, 'etc/big'), Buffer.alloc(5000))
  linkSync(join(dir, 'etc/big'), join(dir, 'etc/deeper/same'))
  writeFileSync(join(dir, 'etc/deeper/small'), 'twelve bytes')
  writeFileSync(join(dir, 'empty'), '')
  symlinkSync('etc/big', join(dir, 'link'))
  t.equal(unpackedSize(dir), 5000 + 12 + 'etc/big'.length)
  t.equal(unpackedSize(join(dir, 'missing')), 0, 'a missing layer directory has nothing')
})

t.test('sizes as docker images prints them', async (t) => {
  const cases: [number, string][] = [
    [0, '0B'], [12, '12B'], [999, '999B'], [1000, '1kB'], [1234, '1.23kB'], [501_007, '501kB'], [999_960, '1MB'],
    [5_583_000, '5.58MB'], [77_800_000, '77.8MB'], [1_240_000_000, '1.24GB'],
  ]
  for (const [bytes, text] of cases) t.equal(formatSize(bytes), text, `${bytes} bytes`)
})
