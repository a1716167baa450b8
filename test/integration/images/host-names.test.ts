// No stored image is given the built-in image's name, which a pod would
// never reach (it gets the built-in image) and rm would refuse: a load of
// an archive that carries it (RepoTags, io.containerd.image.name) leaves it
// out with a warning; a store of an older podshim that has it can lose it
// by rm; and pull refuses the built-in image, with nothing to pull.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { ImageStore } from '../../../src/images/store'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { writeLayout } from './fixtures/image-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function image(dataRoot: string, ...args: string[]): Cli {
  const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv(), timeout: 30_000 })
  return { status, stdout, stderr }
}

const HOST = 'docker.io/podshim/host:latest'

t.test('a docker save archive tagged as the built-in image is stored without that name, with a warning', async (t) => {
  const dir = tempDir(t, 'podshim-hostname-')
  const archive = join(dir, 'host.tar')
  const { tar, ids } = dockerSaveArchive([{ repoTags: ['podshim/host:latest', 'docker.io/podshim/host', 'app:1'], layers: [[{ name: 'x', data: 'x' }]] }])
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  const r = image(dataRoot, 'load', archive)
  t.same({ status: r.status, stdout: r.stdout }, { status: 0, stdout: 'Loaded image: app:1\n' })
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('podshim:'))
  t.same(warnings, [`podshim: warning: load: "podshim/host:latest" names the built-in image; ${ids[0]} is not given that name`], 'one warning (two spellings, one name)')
  t.same(new ImageStore(dataRoot, false).namesOf(ids[0]), [`docker-archive:${archive}`, 'docker.io/library/app:1'])

  const pulled = image(dataRoot, 'pull', `docker-archive:${archive}`)
  t.equal(pulled.status, 0)
  t.match(pulled.stderr, /^podshim: warning: pull: "podshim\/host:latest" names the built-in image/m)
  t.notOk(HOST in new ImageStore(dataRoot, false).readRefs(), 'pull of the archive leaves it out too')
})

t.test('an OCI layout that names the built-in image (io.containerd.image.name) is stored untagged', async (t) => {
  const dir = tempDir(t, 'podshim-hostname-')
  const layout = join(dir, 'layout')
  writeLayout(layout, { v1: { layers: [[{ name: 'a', data: 'a' }]] } })
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
  index.manifests[0].annotations['io.containerd.image.name'] = 'podshim/host'
  index.manifests[0].annotations['org.opencontainers.image.ref.name'] = 'podshim/host:latest'
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index))
  const dataRoot = join(dir, 'data')
  const r = image(dataRoot, 'load', layout)
  t.equal(r.status, 0, r.stderr)
  t.match(r.stderr, /^podshim: warning: load: "podshim\/host:latest" names the built-in image; sha256:[0-9a-f]{64} is not given that name$/m)
  t.notOk(HOST in new ImageStore(dataRoot, false).readRefs())
})

t.test('rm takes the built-in image\'s name off a stored image an older podshim gave it', async (t) => {
  const dir = tempDir(t, 'podshim-hostname-')
  const archive = join(dir, 'app.tar')
  const { tar, ids } = dockerSaveArchive([{ repoTags: ['app:1'], layers: [[{ name: 'x', data: 'x' }]] }])
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  t.equal(image(dataRoot, 'load', archive).status, 0)
  const store = new ImageStore(dataRoot, false)
  store.putImage(store.getImage(ids[0])!, [HOST])
  t.same(image(dataRoot, 'rm', 'podshim/host'), { status: 0, stdout: `untagged ${HOST}\n`, stderr: '' })
  t.notOk(HOST in store.readRefs())
  t.match(image(dataRoot, 'rm', 'podshim/host'), { status: 1, stderr: /remove image "podshim\/host": it is built in/ }, 'then it is the built-in one again')
  t.ok(store.getImage(ids[0]), 'the image stays')
})

t.test('pull of the built-in image is refused at once: there is nothing to pull', async (t) => {
  const dir = tempDir(t, 'podshim-hostname-')
  for (const name of ['podshim/host', 'docker.io/podshim/host:latest']) {
    const r = image(join(dir, 'data'), 'pull', name)
    t.same(r, { status: 1, stdout: '', stderr: `podshim: pull "${name}": it is built in (a view of this host's system directories), there is nothing to pull\n` })
  }
  t.notOk(existsSync(join(dir, 'data')), 'nothing made')
})
