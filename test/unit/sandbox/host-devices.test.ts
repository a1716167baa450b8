// The host's device nodes a privileged container gets: read from the real
// /dev (every Linux host has null, zero and the like), and from a directory
// that only looks like /dev for the subdirectories and names left out.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deviceNumber, hostDevices } from '../../../src/sandbox/host-devices'

t.test('device numbers split as glibc splits them', async (t) => {
  t.same(deviceNumber(0x103n), { major: 1, minor: 3 })
  t.same(deviceNumber(0xfe00n), { major: 254, minor: 0 })
  // glibc's makedev: major bits 0-11 at 8, the rest at 32 and up; minor bits 0-7 at 0, the rest at 12 and up
  t.same(deviceNumber((0x1234000n << 32n) | (0x005n << 8n) | (0xabc00n << 12n) | 0x67n), { major: 0x1234005, minor: 0xabc67 })
})

t.test('/dev: its character and block devices with their numbers, modes and owners', async (t) => {
  const devices = hostDevices()
  const byName = new Map(devices.map((d) => [d.name, d]))
  t.match(byName.get('null'), { major: 1, minor: 3, mode: 0o20666, uid: 0, gid: 0 })
  t.match(byName.get('zero'), { major: 1, minor: 5 })
  t.notOk(byName.has('console'), 'not console')
  t.notOk(byName.has('ptmx'), 'not ptmx: the container\'s is its own devpts\'')
  t.notOk(devices.some((d) => /^(pts|shm|mqueue|fd)\//.test(d.name)), 'nothing from pts, shm, mqueue or fd')
  t.ok(devices.every((d) => (d.mode & 0o170000) === 0o20000 || (d.mode & 0o170000) === 0o60000), 'character and block devices only')
})

t.test('a /dev of files, symlinks and skipped directories gives nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-dev-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'pts'))
  mkdirSync(join(dir, 'net'))
  writeFileSync(join(dir, 'net', 'file'), '')
  symlinkSync('/dev/null', join(dir, 'null'))
  t.same(hostDevices(dir), [])
  t.same(hostDevices(join(dir, 'missing')), [], 'a /dev that is not there: none')
})
