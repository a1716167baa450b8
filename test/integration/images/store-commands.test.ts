// The image commands on stores and names the reviewer found mishandled:
// a name with "@" that is not a digest name (a transport name's path), rm
// of several names of which some fail (as docker rmi: each reported, the
// rest removed, rc 1), a store left partial by an interrupted first run,
// a relative --data-root (layerDirs absolute) and an empty one.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'

import { formatPlatform, hostPlatform } from '../../../src/images/image-manifest'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function image(dataRoot: string, ...args: string[]): Cli {
  const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv(), timeout: 30_000 })
  return { status, stdout, stderr }
}

const EMPTY_TABLE = `IMAGE         IMAGE ID                SIZE      PLATFORM\npodshim/host  podshim://podshim/host  built-in  ${formatPlatform(hostPlatform())}\n`

t.test('a transport name with "@" in its path is a name like any other', async (t) => {
  const dir = tempDir(t, 'podshim-storecmd-')
  mkdirSync(join(dir, 'at@dir'))
  const archive = join(dir, 'at@dir/u.tar')
  const { tar, ids } = dockerSaveArchive([{ repoTags: ['app:1'], layers: [[{ name: 'x', data: 'x' }]] }])
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  t.equal(image(dataRoot, 'load', `docker-archive:${archive}`).status, 0)
  t.match(image(dataRoot, 'ls').stdout.split('\n').slice(2), [new RegExp(`^docker-archive:${archive} +${ids[0].slice(7, 19)} `), /^docker\.io\/library\/app:1 /, ''])
  t.same(image(dataRoot, 'rm', 'app:1'), { status: 0, stdout: 'untagged docker.io/library/app:1\n', stderr: '' }, 'an untag: the archive name remains')
  t.match(image(dataRoot, 'ls').stdout.split('\n').slice(2), [new RegExp(`^docker-archive:${archive} `), ''], 'listed by it, not as <none>')
})

t.test('rm of several names goes on past one that fails, reports each failure and exits 1', async (t) => {
  const dir = tempDir(t, 'podshim-storecmd-')
  const archive = join(dir, 'two.tar')
  const { tar, ids } = dockerSaveArchive([
    { repoTags: ['a:1'], layers: [[{ name: 'a', data: 'a' }]] },
    { repoTags: ['b:1'], layers: [[{ name: 'b', data: 'b' }]] },
  ])
  writeFileSync(archive, tar)
  const dataRoot = join(dir, 'data')
  t.equal(image(dataRoot, 'load', archive).status, 0)
  const r = image(dataRoot, 'rm', 'nope:1', 'a:1', 'podshim/host', 'b:1')
  t.same(r, {
    status: 1,
    stdout: `removed ${ids[0]}\nremoved ${ids[1]}\n`,
    stderr: 'podshim: remove image "nope:1": no such image\n' +
      'podshim: remove image "podshim/host": it is built in (a view of this host\'s system directories, in no store) and cannot be removed\n',
  })
  t.same(image(dataRoot, 'ls').stdout, EMPTY_TABLE)
})

t.test('a store an interrupted first run left partial reads as empty; an images that is a file is a usage error for every command', async (t) => {
  const dir = tempDir(t, 'podshim-storecmd-')
  const partial = join(dir, 'partial')
  mkdirSync(join(partial, 'images'), { recursive: true })
  t.same(image(partial, 'ls'), { status: 0, stdout: EMPTY_TABLE, stderr: '' })
  t.same(image(partial, 'inspect', 'x:1'), { status: 1, stdout: '', stderr: 'podshim: inspect image "x:1": no such image\n' })
  t.same(image(partial, 'inspect', 'abcd'), { status: 1, stdout: '', stderr: 'podshim: inspect image "abcd": no such image\n' }, 'by an ID prefix')

  const file = join(dir, 'file')
  mkdirSync(file)
  writeFileSync(join(file, 'images'), 'a file')
  const archive = join(dir, 'x.tar')
  writeFileSync(archive, dockerSaveArchive([{ repoTags: ['x:1'], layers: [[{ name: 'x', data: 'x' }]] }]).tar)
  for (const args of [['load', archive], ['pull', `docker-archive:${archive}`], ['ls'], ['rm', 'x:1'], ['prune'], ['inspect', 'x:1']]) {
    t.same(image(file, ...args), { status: 2, stdout: '', stderr: `podshim: --data-root "${file}": "${join(file, 'images')}" is not a directory\n` }, args[0])
  }
})

t.test('a relative --data-root is taken from the current directory: inspect\'s layerDirs are absolute', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-storecmd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const archive = join(dir, 'x.tar')
  writeFileSync(archive, dockerSaveArchive([{ repoTags: ['x:1'], layers: [[{ name: 'x', data: 'x' }]] }]).tar)
  const rel = relative(process.cwd(), join(dir, 'data'))
  t.equal(image(rel, 'load', archive).status, 0)
  const shown = JSON.parse(image(rel, 'inspect', 'x:1').stdout) as { layerDirs: string[] }
  t.match(shown.layerDirs, [new RegExp(`^${join(dir, 'data')}/images/layers/sha256/[0-9a-f]{64}$`)])
})

t.test('--data-root "" is a usage error in the form of the others', async (t) => {
  for (const args of [['ls'], ['load', '-']]) {
    t.same(image('', ...args), { status: 2, stdout: '', stderr: 'podshim: --data-root "": must be a directory\n' }, args[0])
  }
})
