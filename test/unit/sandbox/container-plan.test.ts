import t from 'tap'
import { PlanOpCode, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SLAVE, type PlanOp } from '../../../src/native/contract'
import { containerPlanOps, joinPlanOps, settableOomScoreAdj, type ContainerPlanInput } from '../../../src/sandbox/container-plan'
import { pauseCloneFlags, pausePlanOps } from '../../../src/sandbox/pause-plan'
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUTS } from '../../../src/native/contract'

const base: ContainerPlanInput = {
  root: '/run/p/rootfs',
  rootfs: { kind: 'entries', entries: [
    { kind: 'bind', source: '/usr', path: '/usr', readOnly: true, isFile: false },
    { kind: 'symlink', target: 'usr/bin', path: '/bin' },
  ] },
  overlayDirs: null,
  readOnlyRootFilesystem: false,
  mounts: [
    { source: '/data/vol', target: '/srv/data', readOnly: true, isFile: false },
    { source: '/run/p/termination-log', target: '/dev/termination-log', readOnly: false, isFile: true },
  ],
  shmSource: '/run/p/shm',
  masked: [{ path: '/proc/kcore', isDir: false }, { path: '/proc/acpi', isDir: true }],
  readonlyPaths: ['/proc/sys'],
  privileged: null,
  joinNamespaces: [{ fd: 30, nstype: CLONE_NEWNET, label: 'net' }, { fd: 31, nstype: CLONE_NEWIPC, label: 'ipc' }],
  stdio: [40, 41, 42],
  parentPid: 0,
  ids: { uid: 1000, gid: 1000, groups: [5] },
  oomScoreAdj: null,
  capabilities: { keep: 0x1, lastCap: 40, noNewPrivs: true },
  workingDir: '/srv',
  exec: { path: '/bin/sh', argv: ['sh'], envp: ['A=1'] },
}

const codes = (ops: PlanOp[]): PlanOpCode[] => ops.map((o) => o.op)
const index = (ops: PlanOp[], pred: (o: PlanOp) => boolean): number => ops.findIndex(pred)

t.test('namespaces first, then a private mount tree, the root, pivot_root, then the process', (t) => {
  const ops = containerPlanOps(base)
  t.same(ops.slice(0, 2), [{ op: PlanOpCode.Setns, fd: 30, nstype: CLONE_NEWNET, label: 'net' }, { op: PlanOpCode.Setns, fd: 31, nstype: CLONE_NEWIPC, label: 'ipc' }], 'labelled, so a failure names the namespace')
  t.match(ops[2], { op: PlanOpCode.Mount, target: '/', source: null })
  t.match(ops[3], { op: PlanOpCode.Mount, target: '/run/p/rootfs', fstype: 'tmpfs' })
  t.same(ops[4], { op: PlanOpCode.OpenRoot, path: '/run/p/rootfs' }, 'every later path below the root resolves inside it')
  const pivot = index(ops, (o) => o.op === PlanOpCode.PivotRoot)
  t.ok(pivot > 3)
  t.same(codes(ops.slice(pivot)), [PlanOpCode.PivotRoot, PlanOpCode.Setsid, PlanOpCode.Dup2, PlanOpCode.Dup2, PlanOpCode.Dup2, PlanOpCode.CloseFrom, PlanOpCode.Capabilities, PlanOpCode.SetIds, PlanOpCode.Pdeathsig, PlanOpCode.Chdir, PlanOpCode.Execve])
  t.ok(index(ops, (o) => o.op === PlanOpCode.CloseFrom) < index(ops, (o) => o.op === PlanOpCode.Chdir), 'chdir after closing inherited fds (CVE-2024-21626)')
  t.end()
})

t.test('image entries, default mounts and a read-only volume under the new root', (t) => {
  const ops = containerPlanOps(base)
  const targets = ops.filter((o): o is Extract<PlanOp, { op: PlanOpCode.Mount }> => o.op === PlanOpCode.Mount).map((o) => o.target)
  for (const path of ['/usr', '/proc', '/sys', '/dev', '/dev/null', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/termination-log', '/proc/kcore', '/proc/acpi', '/proc/sys', '/srv/data']) {
    t.ok(targets.includes(`/run/p/rootfs${path}`), `mounts ${path}`)
  }
  t.ok(ops.some((o) => o.op === PlanOpCode.Symlink && o.target === 'usr/bin' && o.path === '/run/p/rootfs/bin'))
  const volRemount = ops.find((o) => o.op === PlanOpCode.Mount && o.target === '/run/p/rootfs/srv/data' && (o.flags & MS_REMOUNT) !== 0)
  t.ok(volRemount !== undefined && ((volRemount as { flags: number }).flags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY), 'readOnly volume is remounted read-only')
  t.ok(ops.some((o) => o.op === PlanOpCode.Mkdir && o.path === '/run/p/rootfs/srv'), 'parents of a mount path are created')
  t.end()
})

t.test('mountPropagation: the tree is private; with a HostToContainer volume it is a slave tree, that volume a slave and every other bind private', (t) => {
  const mountOf = (ops: PlanOp[], target: string, flag: number): boolean => ops.some((o) => o.op === PlanOpCode.Mount && o.target === target && o.flags === (MS_REC | flag))
  const plain = containerPlanOps(base)
  t.ok(mountOf(plain, '/', MS_PRIVATE), 'rprivate /')
  t.notOk(plain.some((o) => o.op === PlanOpCode.Mount && (o.flags & MS_SLAVE) !== 0), 'no slave anywhere')
  const slave = containerPlanOps({ ...base, mounts: [...base.mounts, { source: '/host/dir', target: '/srv/host', readOnly: false, isFile: false, isHostToContainer: true }] })
  t.ok(mountOf(slave, '/', MS_SLAVE), 'rslave /, as containerd\'s rootfsPropagation')
  t.ok(mountOf(slave, '/run/p/rootfs/srv/host', MS_SLAVE), 'the HostToContainer volume is a slave of the host\'s mount')
  t.ok(mountOf(slave, '/run/p/rootfs/srv/data', MS_PRIVATE), 'a volume without propagation is private')
  t.ok(mountOf(slave, '/run/p/rootfs/usr', MS_PRIVATE), 'and so is a bind of the host view')
  t.end()
})

t.test('the default devices are bound from the host; a privileged container gets the host\'s nodes made, and /sys read-write', (t) => {
  const plain = containerPlanOps(base)
  t.ok(plain.some((o) => o.op === PlanOpCode.Mount && o.source === '/dev/null' && o.target === '/run/p/rootfs/dev/null' && o.flags === MS_BIND))
  t.notOk(plain.some((o) => o.op === PlanOpCode.Mknod))
  t.match(plain.find((o) => o.op === PlanOpCode.Mount && o.fstype === 'sysfs'), { flags: MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY })
  const devices = [
    { name: 'null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    { name: 'net/tun', mode: 0o20666, major: 10, minor: 200, uid: 0, gid: 0 },
    { name: 'cpu/0/msr', mode: 0o20600, major: 202, minor: 0, uid: 0, gid: 0 },
    { name: 'cpu/1/msr', mode: 0o20600, major: 202, minor: 1, uid: 0, gid: 0 },
    { name: 'vda', mode: 0o60660, major: 254, minor: 0, uid: 0, gid: 6 },
  ]
  const privileged = containerPlanOps({ ...base, privileged: { hostDevices: devices } })
  t.notOk(privileged.some((o) => o.op === PlanOpCode.Mount && o.source === '/dev/null'), 'nothing bound from the host\'s /dev')
  const dev = privileged.filter((o) => (o.op === PlanOpCode.Mknod || o.op === PlanOpCode.Mkdir) && o.path.startsWith('/run/p/rootfs/dev/') && !/\/dev\/(pts|shm|mqueue)$/.test(o.path))
  t.same(dev, [
    { op: PlanOpCode.Mknod, path: '/run/p/rootfs/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    { op: PlanOpCode.Mkdir, path: '/run/p/rootfs/dev/net', mode: 0o755 },
    { op: PlanOpCode.Mknod, path: '/run/p/rootfs/dev/net/tun', mode: 0o20666, major: 10, minor: 200, uid: 0, gid: 0 },
    { op: PlanOpCode.Mkdir, path: '/run/p/rootfs/dev/cpu', mode: 0o755 },
    { op: PlanOpCode.Mkdir, path: '/run/p/rootfs/dev/cpu/0', mode: 0o755 },
    { op: PlanOpCode.Mknod, path: '/run/p/rootfs/dev/cpu/0/msr', mode: 0o20600, major: 202, minor: 0, uid: 0, gid: 0 },
    { op: PlanOpCode.Mkdir, path: '/run/p/rootfs/dev/cpu/1', mode: 0o755 },
    { op: PlanOpCode.Mknod, path: '/run/p/rootfs/dev/cpu/1/msr', mode: 0o20600, major: 202, minor: 1, uid: 0, gid: 0 },
    { op: PlanOpCode.Mknod, path: '/run/p/rootfs/dev/vda', mode: 0o60660, major: 254, minor: 0, uid: 0, gid: 6 },
  ], 'each directory made once, before its nodes')
  t.match(privileged.find((o) => o.op === PlanOpCode.Mount && o.fstype === 'sysfs'), { flags: MS_NOSUID | MS_NOEXEC | MS_NODEV })
  const maskTargets = ['/run/p/rootfs/proc/kcore', '/run/p/rootfs/proc/acpi', '/run/p/rootfs/proc/sys']
  t.ok(plain.some((o) => o.op === PlanOpCode.Mount && maskTargets.includes(o.target)), 'a plain container gets the masks')
  t.notOk(privileged.some((o) => o.op === PlanOpCode.Mount && maskTargets.includes(o.target)), 'nothing masked or read-only when privileged')
  t.end()
})

t.test('readOnlyRootFilesystem remounts the root read-only before pivot_root', (t) => {
  const ops = containerPlanOps({ ...base, readOnlyRootFilesystem: true })
  const ro = index(ops, (o) => o.op === PlanOpCode.Mount && o.target === '/run/p/rootfs' && (o.flags & MS_REMOUNT) !== 0)
  t.ok(ro > 0 && ro < index(ops, (o) => o.op === PlanOpCode.PivotRoot))
  t.end()
})

t.test('readOnlyRootFilesystem makes the host view\'s scratch tmpfs (/tmp, /run) read-only too, as they would be in an image', (t) => {
  const withScratch: ContainerPlanInput = { ...base, rootfs: { kind: 'entries', entries: [{ kind: 'tmpfs', path: '/tmp', data: 'mode=1777' }] } }
  const tmp = (ops: PlanOp[]) => ops.find((o) => o.op === PlanOpCode.Mount && o.target === '/run/p/rootfs/tmp') as { flags: number }
  t.equal(tmp(containerPlanOps({ ...withScratch, readOnlyRootFilesystem: true })).flags & MS_RDONLY, MS_RDONLY)
  t.equal(tmp(containerPlanOps(withScratch)).flags & MS_RDONLY, 0, 'writable otherwise')
  t.end()
})

t.test('the working directory is made inside the root, after the volumes and before a read-only remount, as runc makes it', (t) => {
  const ops = containerPlanOps({ ...base, workingDir: '/srv/app/sub', readOnlyRootFilesystem: true })
  const made = ops.filter((o) => o.op === PlanOpCode.Mkdir).map((o) => (o as { path: string }).path)
  t.same(made.slice(-3), ['/run/p/rootfs/srv', '/run/p/rootfs/srv/app', '/run/p/rootfs/srv/app/sub'])
  const mkdir = index(ops, (o) => o.op === PlanOpCode.Mkdir && (o as { path: string }).path === '/run/p/rootfs/srv/app/sub')
  t.ok(mkdir > index(ops, (o) => o.op === PlanOpCode.Mount && o.target === '/run/p/rootfs/srv/data'), 'after the volume at /srv/data')
  t.ok(mkdir < index(ops, (o) => o.op === PlanOpCode.Mount && o.target === '/run/p/rootfs' && (o.flags & MS_REMOUNT) !== 0), 'before the root turns read-only')
  t.notOk(containerPlanOps({ ...base, workingDir: '/' }).some((o) => o.op === PlanOpCode.Mkdir && (o as { path: string }).path === '/run/p/rootfs/'), 'nothing for /')
  t.end()
})

t.test('overlay images mount layers top first', (t) => {
  const ops = containerPlanOps({ ...base, rootfs: { kind: 'overlay', layers: ['/l/1', '/l/2'] }, overlayDirs: { upper: '/u', work: '/w' } })
  t.match(ops[3], { op: PlanOpCode.Mount, fstype: 'overlay', data: 'lowerdir=/l/2:/l/1,upperdir=/u,workdir=/w' })
  t.same(ops[4], { op: PlanOpCode.OpenRoot, path: base.root })
  t.throws(() => containerPlanOps({ ...base, rootfs: { kind: 'overlay', layers: ['/l/1'] } }))
  t.end()
})

t.test("the container's oom_score_adj is written in the child before its ids change, as runc does", (t) => {
  const ops = containerPlanOps({ ...base, oomScoreAdj: -997 })
  const write = index(ops, (o) => o.op === PlanOpCode.WriteFile && o.path === '/proc/self/oom_score_adj')
  t.ok(write > index(ops, (o) => o.op === PlanOpCode.PivotRoot), "after pivot_root: the container's own /proc")
  t.match(ops[write], { data: '-997' })
  t.ok(write < index(ops, (o) => o.op === PlanOpCode.Capabilities) && write < index(ops, (o) => o.op === PlanOpCode.SetIds), 'while still root with every capability')
  t.notOk(containerPlanOps(base).some((o) => o.op === PlanOpCode.WriteFile), 'null keeps the inherited value')
  t.notOk(joinPlanOps({ ...base }).some((o) => o.op === PlanOpCode.WriteFile), 'nor does a joining process without one')
  t.end()
})

t.test('an oom_score_adj can always be raised; lowering it needs CAP_SYS_RESOURCE', (t) => {
  t.equal(settableOomScoreAdj(1000, 0, false), 1000, 'BestEffort raises')
  t.equal(settableOomScoreAdj(900, 0, false), 900, 'Burstable raises')
  t.equal(settableOomScoreAdj(-997, 0, false), null, 'Guaranteed cannot lower without the capability')
  t.equal(settableOomScoreAdj(-997, 0, true), -997, 'with it, it can')
  t.equal(settableOomScoreAdj(900, 950, false), null, 'lowering from a higher inherited value needs it too')
  t.equal(settableOomScoreAdj(500, 500, false), null, 'already the value: nothing to write')
  t.end()
})

t.test('no ids: no SetIds op', (t) => {
  t.notOk(containerPlanOps({ ...base, ids: null }).some((o) => o.op === PlanOpCode.SetIds))
  t.end()
})

t.test('pause: namespaces by host* flags, hostname and loopback only with its own network', (t) => {
  t.equal(pauseCloneFlags({ hostNetwork: false, hostPID: false, hostIPC: false }), CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)
  t.equal(pauseCloneFlags({ hostNetwork: true, hostPID: true, hostIPC: true }), 0)
  t.equal(pauseCloneFlags({ hostNetwork: true, hostPID: false, hostIPC: false }), CLONE_NEWPID | CLONE_NEWIPC, 'hostNetwork also keeps the host UTS namespace')
  const own = pausePlanOps({ ns: { hostNetwork: false, hostPID: false, hostIPC: false }, hostname: 'web', pausePath: '/p', fds: [3, 4, 5, 6], parentPid: 0, canSetOomScoreAdj: true, shmDir: '/s/shm', killFd: null })
  t.match(own[0], { op: PlanOpCode.Sethostname, name: 'web' })
  t.match(own[1], { op: PlanOpCode.LoopbackUp })
  t.ok(own.some((o) => o.op === PlanOpCode.WriteFile && o.data === '-998'))
  t.ok(own.some((o) => o.op === PlanOpCode.Pdeathsig && o.signal === 9), 'SIGKILL with the supervisor: the kernel then ends the PID namespace')
  t.ok(own.some((o) => o.op === PlanOpCode.CloseFrom && o.fd === 4), 'nothing but stdio and the reap pipe is inherited')
  t.same(own.slice(-3), [
    { op: PlanOpCode.Mount, source: 'shm', target: '/s/shm', fstype: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: 'mode=1777,size=65536k' },
    { op: PlanOpCode.OpenPath, path: '/s/shm', target: 5 },
    { op: PlanOpCode.Execve, path: '/p', argv: ['/pause'], envp: [] },
  ], 'the /dev/shm tmpfs last before execve, on fd 5 for pause to unmount; its command line is plain /pause')
  const tuned = pausePlanOps({ ns: { hostNetwork: false, hostPID: false, hostIPC: false }, hostname: 'web', pausePath: '/p', fds: [3, 4, 5, 6], parentPid: 0, canSetOomScoreAdj: false, shmDir: null, killFd: null, sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '2000 3000' }, { name: 'net/ipv4/conf/eth0.1/rp_filter', value: '1' }] })
  t.same(tuned.slice(2, 4), [
    { op: PlanOpCode.WriteFile, path: '/proc/sys/net/ipv4/ip_local_port_range', data: '2000 3000' },
    { op: PlanOpCode.WriteFile, path: '/proc/sys/net/ipv4/conf/eth0.1/rp_filter', data: '1' },
  ], 'sysctls right after the namespaces are set up, in them')
  const host = pausePlanOps({ ns: { hostNetwork: true, hostPID: false, hostIPC: true }, hostname: 'web', pausePath: '/p', fds: [3, 4, 5, 6], parentPid: 1, canSetOomScoreAdj: false, shmDir: null, killFd: null })
  t.notOk(host.some((o) => o.op === PlanOpCode.Sethostname || o.op === PlanOpCode.LoopbackUp || o.op === PlanOpCode.WriteFile || o.op === PlanOpCode.Mount || o.op === PlanOpCode.OpenPath))
  t.same(host[host.length - 1], { op: PlanOpCode.Execve, path: '/p', argv: ['/pause'], envp: [] }, 'hostIPC: the host\'s /dev/shm, nothing to mount')
  const hostPid = pausePlanOps({ ns: { hostNetwork: false, hostPID: true, hostIPC: false }, hostname: 'web', pausePath: '/p', fds: [3, 4, 5, 6], parentPid: 77, canSetOomScoreAdj: false, shmDir: '/s/shm', killFd: 9 })
  t.same(hostPid.filter((o) => o.op === PlanOpCode.Pdeathsig), [{ op: PlanOpCode.Pdeathsig, signal: 12, parentPid: 77 }], 'hostPID: SIGUSR2 when the supervisor dies, for pause to kill the pod cgroup')
  t.same(hostPid.filter((o) => o.op === PlanOpCode.Dup2 || o.op === PlanOpCode.CloseFrom || o.op === PlanOpCode.OpenPath), [
    { op: PlanOpCode.Dup2, fd: 3, target: 0 },
    { op: PlanOpCode.Dup2, fd: 4, target: 1 },
    { op: PlanOpCode.Dup2, fd: 5, target: 2 },
    { op: PlanOpCode.Dup2, fd: 6, target: 3 },
    { op: PlanOpCode.Dup2, fd: 9, target: 4 },
    { op: PlanOpCode.CloseFrom, fd: 5 },
    { op: PlanOpCode.OpenPath, path: '/s/shm', target: 5 },
  ], 'cgroup.kill on fd 4 (moved there after the fds it could overwrite), the shm mount on fd 5')
  t.end()
})

t.test('an image\'s read-only binds and recursiveReadOnly volumes remount read-only with MS_REC (the mounts below too)', (t) => {
  const ops = containerPlanOps({
    ...base,
    rootfs: { kind: 'entries', entries: [{ kind: 'bind', source: '/usr', path: '/usr', readOnly: true, isFile: false }] },
    mounts: [
      { source: '/data', target: '/plain', readOnly: true, isFile: false },
      { source: '/data', target: '/rro', readOnly: true, recursiveReadOnly: true, isFile: false },
    ],
  })
  const remountOf = (target: string) => ops.find((o) => o.op === PlanOpCode.Mount && o.target === `/run/p/rootfs${target}` && (o.flags & MS_REMOUNT) !== 0) as { flags: number }
  t.equal(remountOf('/usr').flags & MS_REC, MS_REC, 'the host view')
  t.equal(remountOf('/rro').flags & MS_REC, MS_REC, 'recursiveReadOnly')
  t.equal(remountOf('/plain').flags & MS_REC, 0, 'plain readOnly: the top mount only, as in Kubernetes')
  t.end()
})

