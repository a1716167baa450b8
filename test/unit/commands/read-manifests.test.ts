import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { readManifests } from '../../../src/commands/read-manifests'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-manifests-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('files in the order given; a directory as its .json, .yaml and .yml files in name order', async (t) => {
  const dir = tempDir(t)
  const sub = join(dir, 'm')
  mkdirSync(join(sub, 'nested.yaml'), { recursive: true })
  for (const name of ['b.yml', 'a.yaml', 'c.json', 'README.md', 'd.yaml.bak']) writeFileSync(join(sub, name), name)
  writeFileSync(join(dir, 'pod.txt'), 'pod')
  t.same(readManifests([join(dir, 'pod.txt'), sub]), [
    { text: 'pod', source: join(dir, 'pod.txt') },
    { text: 'a.yaml', source: join(sub, 'a.yaml') },
    { text: 'b.yml', source: join(sub, 'b.yml') },
    { text: 'c.json', source: join(sub, 'c.json') },
  ], 'a named file whatever its name; a directory\'s other files and subdirectories left out')
})

t.test('what cannot be read says which', async (t) => {
  const dir = tempDir(t)
  t.throws(() => readManifests([join(dir, 'nope.yaml')]), { message: `read manifest "${join(dir, 'nope.yaml')}"`, cause: { code: 'ENOENT' } })
  t.throws(() => readManifests([dir]), { message: `read manifests in "${dir}": it has no .json, .yaml, .yml files` })
  t.throws(() => readManifests(['-', join(dir, 'x'), '-']), { name: 'OptionError', message: '"-" (stdin) may be given once' })
})
