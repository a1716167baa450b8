// The VM tier's first test: proves the machine it runs on is what the VM
// tier exists for. A pure cgroup v2 hierarchy at /sys/fs/cgroup with the cpu,
// memory and pids controllers, no cgroup v1 anywhere, node working, and a
// root filesystem that pivot_root(2) can leave (containers need that).
// Run by test/vm/runner/inside.sh (qemu guest or Vagrant box), as root.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

interface Mount { mountPoint: string; fsType: string; superOptions: string }

// /proc/self/mountinfo: "id parent major:minor root mountpoint opts [optional...] - fstype source superopts"
function mounts (): Mount[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const [left, right] = line.split(' - ')
    const fields = left.split(' ')
    const [fsType, , superOptions] = right.split(' ')
    return { mountPoint: fields[4].replace(/\\040/g, ' '), fsType, superOptions }
  })
}

const CGROOT = '/sys/fs/cgroup'

t.test('the only cgroup hierarchy is cgroup2, mounted at /sys/fs/cgroup', async (t) => {
  const all = mounts()
  const v2 = all.filter((m) => m.fsType === 'cgroup2')
  const v1 = all.filter((m) => m.fsType === 'cgroup')
  t.same(v2.map((m) => m.mountPoint), [CGROOT], 'one cgroup2 mount, at /sys/fs/cgroup')
  t.same(v1.map((m) => m.mountPoint), [], 'no cgroup v1 hierarchy is mounted')
  const self = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')
  t.equal(self.length, 1, 'this process is in exactly one hierarchy')
  t.match(self[0], /^0::\//, 'and it is the unified one')
})

t.test('cgroup.controllers lists cpu, memory and pids', async (t) => {
  const controllers = readFileSync(join(CGROOT, 'cgroup.controllers'), 'utf8').trim().split(/\s+/)
  for (const c of ['cpu', 'memory', 'pids']) t.ok(controllers.includes(c), `${c} is available (have: ${controllers.join(' ')})`)
})

t.test('a child cgroup gets limits once the root delegates the controllers', async (t) => {
  // What podshim does on any host: enable the controllers for the root's
  // children (idempotent; systemd hosts have them enabled already).
  writeFileSync(join(CGROOT, 'cgroup.subtree_control'), '+cpu +memory +pids')
  const dir = join(CGROOT, `podshim-vm-smoke-${process.pid}`)
  mkdirSync(dir)
  t.teardown(() => { if (existsSync(dir)) rmdirSync(dir) })
  writeFileSync(join(dir, 'memory.max'), String(64 * 1024 * 1024))
  t.equal(readFileSync(join(dir, 'memory.max'), 'utf8').trim(), '67108864', 'memory.max')
  writeFileSync(join(dir, 'cpu.max'), '50000 100000')
  t.equal(readFileSync(join(dir, 'cpu.max'), 'utf8').trim(), '50000 100000', 'cpu.max')
  writeFileSync(join(dir, 'pids.max'), '32')
  t.equal(readFileSync(join(dir, 'pids.max'), 'utf8').trim(), '32', 'pids.max')
  t.match(readFileSync(join(dir, 'memory.events'), 'utf8'), /^oom_kill 0$/m, 'memory.events counts OOM kills')
  rmdirSync(dir)
  t.notOk(existsSync(dir), 'the cgroup is gone again')
})

t.test('node runs, and runs child node processes', async (t) => {
  t.ok(Number(process.versions.node.split('.')[0]) >= 20, `node ${process.version}`)
  const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(6 * 7))'], { encoding: 'utf8' })
  t.equal(out, '42')
})

t.test('a new mount namespace can pivot_root away from /', async (t) => {
  // An initramfs root cannot be pivoted away from (EINVAL); the qemu guest's
  // /init moves a bind mount of it over / so that it can. Prove it here.
  const dir = mkdtempSync(join(tmpdir(), 'podshim-vm-pivot-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const script = [
    'set -e',
    'mount --make-rprivate /',
    `mount -t tmpfs tmpfs ${dir}`,
    `mkdir ${dir}/old`,
    `cd ${dir}`,
    'pivot_root . old',
    'cd /',
    'test -d /old/proc',
    'echo pivoted'
  ].join('\n')
  const out = execFileSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8' })
  t.equal(out.trim(), 'pivoted')
})
