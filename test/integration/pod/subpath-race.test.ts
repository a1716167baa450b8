// A subPath is walked one name at a time from directory fds: a process
// that keeps swapping a directory of the volume with a symlink to the host
// (as a container sharing the volume could) never gets a directory made
// outside the volume.

import t from 'tap'
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { openInside } from '../../../src/sandbox/subpath'
import { VolumeError } from '../../../src/sandbox/volume-error'
import { isAlive } from './fixtures/helpers'
import { MNT_DETACH, mount, umount2 } from '../../../src/native/libc'

t.test('a symlink swapped in during the walk never leads a mkdir out of the volume', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-subpath-race-'))
  // on a tmpfs of the test's own: the VM guest's ext4 /tmp once reported its directory corrupt (EUCLEAN) after the
  // thousands of RENAME_EXCHANGEs of a directory and a symlink this race makes
  mount('tmpfs', dir, 'tmpfs', 0, 'size=64m')
  const volume = join(dir, 'volume')
  const outside = join(dir, 'outside')
  mkdirSync(join(volume, 'a'), { recursive: true })
  mkdirSync(outside)
  // swaps volume/a with a symlink to outside, atomically and as fast as it can: renameat2(RENAME_EXCHANGE)
  symlinkSync(outside, join(volume, 'link'))
  const swap = [
    'import ctypes, os',
    'libc = ctypes.CDLL(None, use_errno=True)',
    `os.chdir(${JSON.stringify(volume)})`,
    'libc.renameat2(-100, b"a", -100, b"link", 2)',
    'print("swapping", flush=True)',
    'while True: libc.renameat2(-100, b"a", -100, b"link", 2)',
  ].join('\n')
  const swapper = spawn('python3', ['-c', swap], { stdio: ['ignore', 'pipe', 'ignore'] })
  const exited = new Promise((resolve) => swapper.on('exit', resolve))
  t.teardown(async () => {
    swapper.kill('SIGKILL')
    await exited
    umount2(dir, MNT_DETACH)
    rmSync(dir, { recursive: true, force: true })
  })

  // the walks start once the swapper swaps (python's start outlasts the whole loop on a tmpfs)
  await new Promise<void>((resolve, reject) => {
    swapper.stdout!.once('data', () => resolve())
    swapper.once('exit', () => reject(new Error('the swapper ended before it swapped')))
  })
  let opened = 0
  let refused = 0
  for (let i = 0; i < 3000; i++) {
    try {
      closeSync(openInside(volume, `a/b${i}`, 'subPath'))
      opened++
    } catch (err) {
      // refused (a symlink where a directory was), or a name the swap had just moved away
      if (!(err instanceof VolumeError) && (err as { syscall?: string }).syscall === undefined) throw err
      refused++
    }
  }
  // from /proc: the loop above is synchronous, so swapper.exitCode could not have changed yet
  t.ok(isAlive(swapper.pid!), 'the swapper was still running: the walks raced it')
  t.ok(opened > 0, `some walks found a directory (${opened} opened inside)`)
  t.ok(refused > 0, `some walks met the symlink or a moved name (${refused} refused or not there)`)
  t.same(readdirSync(outside), [], 'nothing was made outside the volume')
})
