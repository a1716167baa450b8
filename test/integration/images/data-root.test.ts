// --data-root as the image commands use it: the reading ones (ls, inspect,
// and rm or prune with nothing to remove) make nothing under a data root
// with no store; a data root that is a file, or on a read-only file
// system, gives an error naming --data-root, the path and what is wrong.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { formatPlatform, hostPlatform } from '../../../src/images/image-manifest'
import { dockerSaveArchive } from './fixtures/archive-builder'
import { tempDir } from './fixtures/temp-dirs'
import { CLI_PATH, cliEnv } from '../pod/fixtures/helpers'

interface Cli { status: number | null; stdout: string; stderr: string }

function image(dataRoot: string, ...args: string[]): Cli {
  const { status, stdout, stderr } = spawnSync(CLI_PATH, ['image', ...args, '--data-root', dataRoot], { encoding: 'utf8', env: cliEnv() })
  return { status, stdout, stderr }
}

/** no stored image: the built-in one alone */
const EMPTY_TABLE = `IMAGE         IMAGE ID                SIZE      PLATFORM\npodshim/host  podshim://podshim/host  built-in  ${formatPlatform(hostPlatform())}\n`

t.test('the reading commands make nothing under a data root with no store', async (t) => {
  const dir = tempDir(t, 'podshim-dataroot-')
  for (const dataRoot of [join(dir, 'missing', 'deeper'), dir]) {
    t.same(image(dataRoot, 'ls'), { status: 0, stdout: EMPTY_TABLE, stderr: '' }, `ls ${dataRoot}`)
    t.match(image(dataRoot, 'inspect', 'busybox:1.36'), { status: 1, stderr: /^podshim: inspect image "busybox:1.36": no such image\n$/ })
    t.match(image(dataRoot, 'rm', 'busybox:1.36'), { status: 1, stderr: /^podshim: remove image "busybox:1.36": no such image\n$/ })
    t.same(image(dataRoot, 'prune'), { status: 0, stdout: '', stderr: '' }, 'prune: nothing to remove')
  }
  t.same(readdirSync(dir), [], 'nothing made')
})

t.test('a data root that is a file is named, with what is wrong', async (t) => {
  const dir = tempDir(t, 'podshim-dataroot-')
  const file = join(dir, 'file')
  writeFileSync(file, 'not a directory')
  const archive = join(dir, 'save.tar')
  writeFileSync(archive, dockerSaveArchive([{ repoTags: ['x:1'], layers: [[{ name: 'x', data: 'x' }]] }]).tar)
  for (const [dataRoot, problem] of [[file, 'not a directory'], [join(file, 'sub'), `cannot be made: "${file}" is not a directory`]]) {
    for (const args of [['load', archive], ['pull', `docker-archive:${archive}`], ['rm', 'x:1'], ['prune'], ['ls'], ['inspect', 'x:1']]) {
      const r = image(dataRoot, ...args)
      t.same({ status: r.status, stderr: r.stderr }, { status: 2, stderr: `podshim: --data-root "${dataRoot}": ${problem}\n` }, `${args[0]} --data-root ${dataRoot}`)
    }
  }
  t.same(readdirSync(dir).sort(), ['file', 'save.tar'])
})

t.test('a data root on a read-only file system is named by the commands that write', { skip: process.getuid?.() !== 0 && 'needs root to mount a tmpfs' }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'podshim-rodata-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', root])
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' })
    } catch {
      // not mounted
    }
    rmSync(root, { recursive: true, force: true })
  })
  const archive = join(root, 'save.tar')
  writeFileSync(archive, dockerSaveArchive([{ repoTags: ['x:1'], layers: [[{ name: 'x', data: 'x' }]] }]).tar)
  const withStore = join(root, 'with-store')
  t.equal(image(withStore, 'load', archive).status, 0, 'a store to start with')
  mkdirSync(join(root, 'empty'))
  execFileSync('mount', ['-o', 'remount,ro', root])
  const readOnly = 'read-only file system (EROFS)'
  const cases: [string, string[], string][] = [
    [withStore, ['load', archive], readOnly], [join(root, 'empty'), ['load', archive], readOnly], [withStore, ['rm', 'x:1'], readOnly], [withStore, ['prune'], readOnly],
    [join(root, 'missing'), ['load', archive], `cannot be made in "${root}": ${readOnly}`], [join(root, 'missing'), ['rm', 'x:1'], `cannot be made in "${root}": ${readOnly}`],
  ]
  for (const [dataRoot, args, problem] of cases) {
    const r = image(dataRoot, ...args)
    t.same({ status: r.status, stderr: r.stderr }, { status: 2, stderr: `podshim: --data-root "${dataRoot}": ${problem}\n` }, `${args[0]} --data-root ${dataRoot}`)
  }
  t.match(image(withStore, 'ls'), { status: 0, stdout: /^docker\.io\/library\/x:1 /m }, 'ls reads it')
  t.notOk(existsSync(join(root, 'missing')))
})
