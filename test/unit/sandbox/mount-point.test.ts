// A volumeMount's mount point inside an image view's read-only host
// directory (podshim/host's /usr): refused on the host side, naming the
// volumeMount and why, where it does not exist (the child could only fail
// with EROFS on a host path). On a temporary fake host root.
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkMountPoint, type MountPointImage } from '../../../src/sandbox/mount-point'

const FIELD = 'volumeMounts[0].mountPath'

t.test('a missing mount point below a read-only host directory of the image view', async (t) => {
  const host = mkdtempSync(join(tmpdir(), 'podshim-mount-point-'))
  t.teardown(() => rmSync(host, { recursive: true, force: true }))
  mkdirSync(join(host, 'usr/share'), { recursive: true })
  mkdirSync(join(host, 'usr/lib'), { recursive: true })
  symlinkSync('usr/lib', join(host, 'lib'))
  const image: MountPointImage = {
    ref: 'podshim/host',
    lookupRoot: host,
    rootfs: {
      kind: 'entries',
      entries: [
        { kind: 'bind', source: join(host, 'usr'), path: '/usr', readOnly: true, isFile: false },
        { kind: 'symlink', target: 'usr/lib', path: '/lib' },
        { kind: 'dir', path: '/var' },
        { kind: 'tmpfs', path: '/tmp', data: 'mode=1777' },
      ],
    },
  }

  t.throws(() => checkMountPoint(image, '/usr/share/nginx/html', [], FIELD), {
    name: 'VolumeError',
    message: 'volumeMounts[0].mountPath: cannot make the mount point "/usr/share/nginx/html": the image "podshim/host" has the host\'s /usr, read-only, and no "/usr/share/nginx" in it',
  }, 'names the field, the container path, the read-only host directory and what is missing')
  t.throws(() => checkMountPoint(image, '/lib/new', [], FIELD), { message: /"\/lib\/new": .*host's \/usr, read-only, and no "\/usr\/lib\/new"/ }, 'through the image\'s symlinks')
  t.throws(() => checkMountPoint(image, '/usr/x', ['/usr/share'], FIELD), { message: /no "\/usr\/x"/ }, 'an earlier mount elsewhere does not help')

  t.doesNotThrow(() => checkMountPoint(image, '/usr/share', [], FIELD), 'an existing directory is a mount point as it is')
  t.doesNotThrow(() => checkMountPoint(image, '/usr/share/nginx/html', ['/usr/share/nginx'], FIELD), 'made inside an earlier mount')
  t.doesNotThrow(() => checkMountPoint(image, '/usr/share/nginx/html', ['/usr/share'], FIELD), 'made inside an earlier mount at an existing directory')
  for (const path of ['/tmp/x', '/var/lib/x', '/data/x', '/usrx/y']) {
    t.doesNotThrow(() => checkMountPoint(image, path, [], FIELD), `${path}: on the writable root or a tmpfs`)
  }
})

t.test('an image with a writable root (overlay) makes any mount point', async (t) => {
  const image: MountPointImage = { ref: 'busybox', lookupRoot: '/nonexistent', rootfs: { kind: 'overlay', layers: ['/nonexistent'] } }
  t.doesNotThrow(() => checkMountPoint(image, '/usr/share/nginx/html', [], FIELD))
})
