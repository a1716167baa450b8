// `image rm` of an image a running pod uses, as README's Images section
// says and as `docker rmi` does: a name of several is only untagged, the
// last one (or the image by ID) is refused until the pod lets go. The hold
// here is this test process's own, the one a pod's resolver takes.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { holdImageIfPresent, releaseImage } from '../../../src/images/image-holds'
import { ImageStore } from '../../../src/images/store'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

t.test('a held image loses names while it has others; its last name and its ID are refused', async (t) => {
  const dir = tempDir(t, 'podshim-held-')
  const dataRoot = join(dir, 'data')
  const cli = (...args: string[]): Cli => {
    const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
    return { status, stdout, stderr }
  }
  const { tar, ids: [id] } = dockerSaveArchive([{ repoTags: ['app:1', 'app:2'], layers: [[{ name: 'a.txt', data: 'a' }]] }])
  writeFileSync(join(dir, 'save.tar'), tar)
  t.equal(cli('load', join(dir, 'save.tar')).status, 0)
  const store = new ImageStore(dataRoot, false)
  t.ok(holdImageIfPresent(store.root, id, () => true), 'held, as by a running pod')
  t.teardown(() => releaseImage(store.root, id))

  t.same(cli('rm', 'app:1'), { status: 0, stdout: 'untagged docker.io/library/app:1\n', stderr: '' })
  t.same(cli('rm', `docker-archive:${join(dir, 'save.tar')}`), { status: 0, stdout: `untagged docker-archive:${join(dir, 'save.tar')}\n`, stderr: '' })
  t.same(cli('rm', 'app:2'), { status: 1, stdout: '', stderr: 'podshim: remove image "docker.io/library/app:2": a running pod uses it\n' }, 'its last name')
  t.same(cli('rm', id), { status: 1, stdout: '', stderr: `podshim: remove image "${id}": a running pod uses it\n` }, 'by ID')
  t.same(store.namesOf(id), ['docker.io/library/app:2'])

  releaseImage(store.root, id)
  t.same(cli('rm', 'app:2'), { status: 0, stdout: `removed ${id}\n`, stderr: '' }, 'once the pod let go')
})
