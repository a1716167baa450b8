// The built-in image `podshim/host` as the image commands show it: ls lists
// it (with no store too, making nothing) by the ID a pod's status gives it,
// inspect takes every spelling a pod's image field does and prints the
// shape of a stored image's record, rm refuses it and prune says it keeps it.
import { spawnSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { formatPlatform, hostPlatform } from '../../../src/images/image-manifest'
import { BuiltinImageResolver, HOST_IMAGE_CONFIG } from '../../../src/images/host-image'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function image(dataRoot: string, ...args: string[]): Cli {
  const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
  return { status, stdout, stderr }
}

const PLATFORM = formatPlatform(hostPlatform())
const REASON = 'it is built in (a view of this host\'s system directories, in no store) and cannot be removed'

t.test('ls lists the built-in image by the ID a pod\'s status gives it, with no store as well', async (t) => {
  const { imageRef, imageId } = await new BuiltinImageResolver().resolve('podshim/host')
  t.equal(imageRef, 'podshim://podshim/host', 'the status\'s imageID')
  t.equal(imageId, imageRef)
  const dir = tempDir(t, 'podshim-builtin-')
  const r = image(join(dir, 'none'), 'ls')
  t.same(r, { status: 0, stdout: `IMAGE         IMAGE ID                SIZE      PLATFORM\npodshim/host  ${imageRef}  built-in  ${PLATFORM}\n`, stderr: '' })
  t.same(readdirSync(dir), [], 'nothing made')

  const archive = join(dir, 'save.tar')
  writeFileSync(archive, dockerSaveArchive([{ repoTags: ['x:1'], layers: [[{ name: 'x', data: 'x' }]] }]).tar)
  t.equal(image(join(dir, 'data'), 'load', archive).status, 0)
  const rows = image(join(dir, 'data'), 'ls').stdout.split('\n')
  t.match(rows[1], /^podshim\/host +podshim:\/\/podshim\/host +built-in /, 'first, before the stored images')
  t.match(rows.slice(2), [/^docker-archive:/, /^docker\.io\/library\/x:1 +[0-9a-f]{12} +1B /, ''])
})

t.test('inspect takes every spelling a pod\'s image field takes, and its ID', async (t) => {
  const dataRoot = join(tempDir(t, 'podshim-builtin-'), 'none')
  for (const name of ['podshim/host', 'podshim/host:latest', 'docker.io/podshim/host', 'docker.io/podshim/host:latest', 'docker://podshim/host', 'podshim://podshim/host']) {
    const r = image(dataRoot, 'inspect', name)
    t.equal(r.status, 0, name, { stderr: r.stderr })
    const shown = JSON.parse(r.stdout) as Record<string, unknown>
    t.same(Object.keys(shown), ['id', 'manifestDigest', 'repoDigests', 'layers', 'config', 'platform', 'created', 'storedAt', 'builtIn', 'size', 'names', 'layerDirs'], 'a stored image\'s fields, and builtIn')
    t.match(shown, { id: 'podshim://podshim/host', config: HOST_IMAGE_CONFIG, platform: PLATFORM, names: ['podshim/host'], layers: [], size: null })
    t.match(shown.builtIn, { description: /^built into podshim, in no store: a read-only view of this host's system directories/, tmpfs: ['/tmp', '/run', '/var/tmp'] })
    const { readOnlyFromHost, symlinks } = shown.builtIn as { readOnlyFromHost: string[]; symlinks: Record<string, string> }
    t.ok(readOnlyFromHost.includes('/usr') && readOnlyFromHost.includes('/etc'), 'the host directories it binds')
    t.ok([...readOnlyFromHost, ...Object.keys(symlinks)].includes('/bin'), '/bin, a directory or (merged /usr) a symlink')
  }
  for (const name of ['podshim/host:1', 'other/host', `podshim/host@sha256:${'a'.repeat(64)}`]) {
    t.match(image(dataRoot, 'inspect', name), { status: 1, stderr: `podshim: inspect image "${name}": no such image\n` }, `${name} is not it`)
  }
})

t.test('rm refuses it, saying why, and prune keeps it', async (t) => {
  const dir = tempDir(t, 'podshim-builtin-')
  for (const dataRoot of [join(dir, 'none'), join(dir, 'data')]) {
    for (const name of ['podshim/host', 'docker.io/podshim/host:latest', 'podshim://podshim/host']) {
      t.same(image(dataRoot, 'rm', name), { status: 1, stdout: '', stderr: `podshim: remove image "${name}": ${REASON}\n` }, `rm ${name}`)
    }
    t.same(image(dataRoot, 'prune'), { status: 0, stdout: '', stderr: '' }, 'prune has nothing to remove, and keeps it')
    t.match(image(dataRoot, 'ls').stdout, /^podshim\/host /m, 'still listed')
  }
  t.same(readdirSync(dir), [], 'nothing made')
})
