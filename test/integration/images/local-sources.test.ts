// Malformed local images (an OCI layout, a docker save archive) give an
// error that names the file and what is wrong with it, never a bare
// SyntaxError or TypeError from deep inside.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { DirSource } from '../../../src/images/blob-source'
import { dockerArchiveFetcher, layoutManifestDigest } from '../../../src/images/local-fetchers'
import { tempDir } from './fixtures/temp-dirs'

function layout(t: Parameters<typeof tempDir>[0], files: Record<string, string>): DirSource {
  const dir = join(tempDir(t, 'podshim-layout-'), 'layout')
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return new DirSource(dir)
}

t.test('an OCI layout whose index.json is not JSON', async (t) => {
  const source = layout(t, { 'oci-layout': '{"imageLayoutVersion":"1.0.0"}', 'index.json': '{"manifests": [' })
  t.throws(() => layoutManifestDigest(source, null), { message: `parse "index.json" in ${source.description}: not JSON` })
})

t.test('an OCI layout whose index has no list of manifests, or a bad entry', async (t) => {
  const notList = layout(t, { 'oci-layout': '{}', 'index.json': '{"manifests": {}}' })
  t.throws(() => layoutManifestDigest(notList, null), { message: `parse "index.json" in ${notList.description}: "manifests" is not a list` })
  const badEntry = layout(t, { 'oci-layout': '{}', 'index.json': '{"manifests": [{"digest": 1}]}' })
  t.throws(() => layoutManifestDigest(badEntry, null), { message: `parse "index.json" in ${badEntry.description}: manifests[0] needs mediaType, digest and size` })
})

t.test('a docker archive whose manifest.json is not a list of images', async (t) => {
  const notJson = layout(t, { 'manifest.json': 'nope' })
  await t.rejects(dockerArchiveFetcher(notJson, null), { message: `parse "manifest.json" in ${notJson.description}: not JSON` })
  const notList = layout(t, { 'manifest.json': '{}' })
  await t.rejects(dockerArchiveFetcher(notList, null), { message: `parse "manifest.json" in ${notList.description}: not a list` })
  const noConfig = layout(t, { 'manifest.json': '[{"Layers": []}]' })
  await t.rejects(dockerArchiveFetcher(noConfig, null), { message: `parse "manifest.json" in ${noConfig.description}: [0] needs "Config" (a file name) and "Layers" (a list of file names)` })
})
