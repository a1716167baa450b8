// The names a local image is stored under, as `ctr images import` names
// it: the layout's own source name, and the full image name containerd's
// export annotates it with (io.containerd.image.name), so a pod's
// `image: bbx:1` with imagePullPolicy Never finds what was loaded.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { parseImageSource } from '../../../src/images/reference'
import { ImageStore } from '../../../src/images/store'
import { fetchSource } from '../../../src/images/store-resolver'
import { writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

const REGISTRY = { insecureRegistries: [], authFile: null }

/** An OCI layout (tag v1) as containerd exports one, annotated with the full image name docker.io/library/bbx:1. */
function bbxLayout(t: Parameters<typeof tempDir>[0]): string {
  const layout = join(tempDir(t, 'podshim-layout-'), 'layout')
  writeLayout(layout, { v1: { layers: [[{ name: 'hello.txt', data: 'hi' }]] } })
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
  index.manifests[0].annotations['io.containerd.image.name'] = 'docker.io/library/bbx:1'
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
  return layout
}

t.test('an OCI layout exported by containerd is named by its io.containerd.image.name too', async (t) => {
  const layout = bbxLayout(t)
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

t.test('image inspect and rm take a short name as a pod\'s image does; rm of one name of several untags', async (t) => {
  const layout = bbxLayout(t)
  const dataRoot = tempDir(t, 'podshim-data-')
  const cli = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
  t.equal(cli('load', `oci:${layout}:v1`).status, 0)
  const inspected = cli('inspect', 'bbx:1')
  t.equal(inspected.status, 0, 'bbx:1 is docker.io/library/bbx:1', { stderr: inspected.stderr })
  t.ok((JSON.parse(inspected.stdout) as { names: string[] }).names.includes('docker.io/library/bbx:1'))
  t.match(cli('inspect', 'nope:1'), { status: 1, stderr: /inspect image "nope:1": no such image/ })
  const untag = cli('rm', 'bbx:1')
  t.same({ status: untag.status, stdout: untag.stdout }, { status: 0, stdout: 'untagged docker.io/library/bbx:1\n' }, 'the image keeps its layout name')
  const id = new ImageStore(dataRoot).findImage(`oci:${layout}:v1`)!.id
  t.same(cli('rm', `oci:${layout}:v1`).stdout, `removed ${id}\n`, 'its last name: removed')
})
