import t from 'tap'
import { parseCgroup2Mount, parseCgroupV1Controllers, unescapeMountPath } from '../../../src/cgroup/mount'

const HYBRID = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

const PURE_V2 = `25 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`

t.test('hybrid host: cgroup2 at /sys/fs/cgroup/unified', async (t) => {
  t.equal(parseCgroup2Mount(HYBRID), '/sys/fs/cgroup/unified')
})

t.test('pure v2 host: cgroup2 at /sys/fs/cgroup (optional fields present)', async (t) => {
  t.equal(parseCgroup2Mount(PURE_V2), '/sys/fs/cgroup')
})

t.test('escaped mount points are unescaped', async (t) => {
  const text = '50 1 0:40 / /mnt/my\\040cgroup\\011x rw shared:9 master:2 - cgroup2 none rw\n'
  t.equal(parseCgroup2Mount(text), '/mnt/my cgroup\tx')
  t.equal(unescapeMountPath('a\\134b'), 'a\\b')
})

t.test('a mount of the hierarchy root is preferred over a bind of a subtree', async (t) => {
  const text = `60 1 0:26 /user.slice /srv/sub rw - cgroup2 cgroup2 rw
61 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
`
  t.equal(parseCgroup2Mount(text), '/sys/fs/cgroup')
})

t.test('no cgroup2 mount gives undefined', async (t) => {
  t.equal(parseCgroup2Mount('22 1 8:1 / / rw - ext4 /dev/vda1 rw\n'), undefined)
  t.equal(parseCgroup2Mount(''), undefined)
  t.equal(parseCgroup2Mount('garbage line\n'), undefined)
})

t.test('v1 controllers and their mount points', async (t) => {
  const v1 = parseCgroupV1Controllers(HYBRID)
  t.equal(v1.get('cpu'), '/sys/fs/cgroup/cpu')
  t.equal(v1.get('memory'), '/sys/fs/cgroup/memory')
  t.equal(v1.get('pids'), '/sys/fs/cgroup/pids')
  t.notOk(v1.has('xattr'))
  t.notOk(v1.has('rw'))
  t.equal(parseCgroupV1Controllers(PURE_V2).size, 0)
})
