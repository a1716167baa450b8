// The names a local image is stored under, as `ctr images import` names
// it: the layout's own source name, and the full image name containerd's
// export annotates it with (io.containerd.image.name), so a pod's
// `image: bbx:1` with imagePullPolicy Never finds what was loaded.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { parseImageSource } from '../../../src/images/reference'
import { ImageStore } from '../../../src/images/store'
import { fetchSource } from '../../../src/images/store-resolver'
import { writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'

const REGISTRY = { insecureRegistries: [], authFile: null }

t.test('an OCI layout exported by containerd is named by its io.containerd.image.name too', async (t) => {
  const layout = join(tempDir(t, 'podshim-layout-'), 'layout')
  writeLayout(layout, { v1: { layers: [[{ name: 'hello.txt', data: 'hi' }]] } })
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
  index.manifests[0].annotations['io.containerd.image.name'] = 'docker.io/library/bbx:1'
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const record = await fetchSource(store, parseImageSource(`oci:${layout}:v1`), REGISTRY)
  t.same(store.namesOf(record.id).sort(), [`oci:${layout}:v1`, 'docker.io/library/bbx:1'].sort())
  t.equal(store.findImage('docker.io/library/bbx:1')?.id, record.id)
})

t.test('a ref.name that is only a tag adds no name', async (t) => {
  const layout = join(tempDir(t, 'podshim-layout-'), 'layout')
  writeLayout(layout, { v1: { layers: [[{ name: 'hello.txt', data: 'hi' }]] } })
  const store = new ImageStore(tempDir(t, 'podshim-data-'))
  const record = await fetchSource(store, parseImageSource(`oci:${layout}:v1`), REGISTRY)
  t.same(store.namesOf(record.id), [`oci:${layout}:v1`])
})
