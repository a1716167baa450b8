// The typed contract between the TypeScript supervisor and the native addon.
// TypeScript decides, the addon acts: a spawn is a flat list of operations
// that the child walks with raw syscalls between clone3(2) and execve(2)
// (bubblewrap's SetupOp). The op codes mirror native/plan.h exactly.
// Pure: nothing here touches the addon, so supervisor logic can be tested
// against a fake NativeApi.

/** Operation codes; must equal the PLAN_OP_* enum in native/plan.h. */
export const enum PlanOpCode {
  Setns = 1,
  Mount = 2,
  Mkdir = 3,
  Touch = 4,
  Symlink = 5,
  PivotRoot = 6,
  Sethostname = 7,
  LoopbackUp = 8,
  Dup2 = 9,
  CloseFrom = 10,
  Chdir = 11,
  SetIds = 12,
  Pdeathsig = 13,
  WriteFile = 14,
  Setsid = 15,
  Execve = 16,
  MoveMount = 17,
  OpenRoot = 18,
  Capabilities = 19,
  OpenPath = 20,
  Mknod = 21,
}

/** The syscall each op is reported under when it fails (for SyscallError). */
export const PLAN_OP_SYSCALL: Record<PlanOpCode, string> = {
  [PlanOpCode.Setns]: 'setns',
  [PlanOpCode.Mount]: 'mount',
  [PlanOpCode.Mkdir]: 'mkdir',
  [PlanOpCode.Touch]: 'open',
  [PlanOpCode.Symlink]: 'symlink',
  [PlanOpCode.PivotRoot]: 'pivot_root',
  [PlanOpCode.Sethostname]: 'sethostname',
  [PlanOpCode.LoopbackUp]: 'ioctl',
  [PlanOpCode.Dup2]: 'dup2',
  [PlanOpCode.CloseFrom]: 'close_range',
  [PlanOpCode.Chdir]: 'chdir',
  [PlanOpCode.SetIds]: 'setresuid',
  [PlanOpCode.Pdeathsig]: 'prctl',
  [PlanOpCode.WriteFile]: 'write',
  [PlanOpCode.Setsid]: 'setsid',
  [PlanOpCode.Execve]: 'execve',
  [PlanOpCode.MoveMount]: 'move_mount',
  [PlanOpCode.OpenRoot]: 'open',
  [PlanOpCode.Capabilities]: 'prctl',
  [PlanOpCode.OpenPath]: 'open',
  [PlanOpCode.Mknod]: 'mknod',
}

export type PlanOp =
  /** setns(fd, nstype); nstype is a CLONE_NEW* constant (0 = any). label names the namespace in errors (else /proc/self/fd/<fd>). */
  | { op: PlanOpCode.Setns; fd: number; nstype: number; label?: string }
  /** mount(source, target, fstype, flags, data); null where the kernel takes NULL. */
  | { op: PlanOpCode.Mount; source: string | null; target: string; fstype: string | null; flags: number; data: string | null }
  /** mkdir(path, mode); an existing directory is not an error. */
  | { op: PlanOpCode.Mkdir; path: string; mode: number }
  /** open(path, O_CREAT|O_RDONLY|O_CLOEXEC, mode) + close: a file to bind-mount onto (read-only so an existing file on a read-only mount is fine). */
  | { op: PlanOpCode.Touch; path: string; mode: number }
  /** symlink(target, path); an existing entry is not an error. */
  | { op: PlanOpCode.Symlink; target: string; path: string }
  /** chdir(path); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/"). */
  | { op: PlanOpCode.PivotRoot; path: string }
  | { op: PlanOpCode.Sethostname; name: string }
  /** bring interface "lo" up in the current network namespace (SIOCSIFFLAGS). */
  | { op: PlanOpCode.LoopbackUp }
  /** dup2(fd, target) (the result has no O_CLOEXEC); fd == target just clears O_CLOEXEC, so the fd survives execve. */
  | { op: PlanOpCode.Dup2; fd: number; target: number }
  /** close every fd >= fd, except the executor's own fds (error pipe, supervisor pidfd), which are O_CLOEXEC anyway. */
  | { op: PlanOpCode.CloseFrom; fd: number }
  /** chdir(path); run after CloseFrom so no leaked fd can be a cwd (CVE-2024-21626); a cwd outside the root fails with ENOENT. */
  | { op: PlanOpCode.Chdir; path: string }
  /** setgroups(groups); setresgid(gid); setresuid(uid) via raw syscalls. */
  | { op: PlanOpCode.SetIds; uid: number; gid: number; groups: number[] }
  /**
   * prctl(PR_SET_PDEATHSIG, signal); then _exit if the parent died first: when parentPid != 0 and
   * getppid() != parentPid, or (always, across PID namespaces too) when the supervisor's pidfd,
   * which the addon hands the child, reads as exited. parentPid is the parent as the child sees it:
   * process.pid when the child stays in the supervisor's PID namespace, 0 when it is in another
   * one (there getppid() returns 0). A signal other than SIGKILL is blocked first, and stays blocked
   * across execve: the program unblocks it once it has a handler (pause's SIGUSR2), so a parent that
   * died in between leaves it pending.
   */
  | { op: PlanOpCode.Pdeathsig; signal: number; parentPid: number }
  /** open(path, O_WRONLY|O_CLOEXEC) + write(data) + close; e.g. /proc/self/oom_score_adj. */
  | { op: PlanOpCode.WriteFile; path: string; data: string }
  | { op: PlanOpCode.Setsid }
  /** execve(path, argv, envp): no PATH search, the path is resolved in TypeScript. */
  | { op: PlanOpCode.Execve; path: string; argv: string[]; envp: string[] }
  /** move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH): attach a tree detached by open_tree(2) */
  | { op: PlanOpCode.MoveMount; fd: number; target: string }
  /** from here on, every path of a later op below path is resolved inside it, as if it were / (openat2 RESOLVE_IN_ROOT) */
  | { op: PlanOpCode.OpenRoot; path: string }
  /** keep only these capabilities (a mask of their numbers, up to lastCap) in the bounding set, none inheritable or ambient; no_new_privs if asked */
  | { op: PlanOpCode.Capabilities; keep: number; lastCap: number; noNewPrivs: boolean }
  /** open(path, O_PATH) as fd target, kept across execve (inside the root below an OpenRoot); e.g. a mount the program unmounts through /proc/self/fd/target */
  | { op: PlanOpCode.OpenPath; path: string; target: number }
  /** mknod(path, mode, makedev(major, minor)) then chmod to mode (no umask) and chown to uid:gid; mode holds the file type (S_IFCHR, S_IFBLK) */
  | { op: PlanOpCode.Mknod; path: string; mode: number; major: number; minor: number; uid: number; gid: number }

/**
 * One process to create. The addon clones an intermediate child which, if
 * pidNsFd is set, setns()es into that PID namespace and then
 * clone3(CLONE_PARENT | cloneFlags | CLONE_INTO_CGROUP)s the real child, so
 * the supervisor stays its parent (youki's sibling clone). The child resets
 * every signal handler to default, unblocks signals, then runs ops in order.
 */
export interface SpawnPlan {
  /** CLONE_NEW* flags for the final child (e.g. a new PID/NET/IPC/UTS for pause, NEWNS for containers). */
  cloneFlags: number
  /** fd of a PID namespace to join before the final clone, or -1. */
  pidNsFd: number
  /** fd of the cgroup v2 directory the child starts in (CLONE_INTO_CGROUP), or -1. */
  cgroupFd: number
  ops: PlanOp[]
}

export interface SpawnedProcess {
  /** pid in the supervisor's PID namespace */
  pid: number
  /** pidfd (O_CLOEXEC) for watchExit and signals; close it after the exit was seen */
  pidfd: number
}

/**
 * Where a spawn failed before the plan's first op ran (SpawnFailure.opIndex < 0);
 * must equal enum plan_stage in native/plan.h.
 */
export const enum SpawnStage {
  /** the intermediate child's setns(pidNsFd, CLONE_NEWPID) */
  SetnsPid = -1,
  /** the intermediate child's clone3 of the final child (ENOSYS/E2BIG: kernel older than 5.7) */
  Clone = -2,
  /** the child's fcntl(F_DUPFD_CLOEXEC) moving its error pipe above the Dup2 targets */
  Executor = -3,
}

/** A failure inside the child before execve, as data: which op (or SpawnStage when < 0) and errno (positive). */
export interface SpawnFailure {
  opIndex: number
  errno: number
}

/**
 * How a process ended: exactly one of code / signal is not null, except when waitid failed
 * (ECHILD: someone else reaped it), where both are null.
 */
export interface ExitStatus {
  code: number | null
  signal: number | null
  /** true when the process dumped core */
  coreDumped: boolean
}

export interface NativeApi {
  /**
   * Create a process from a plan. Returns once the child exec'd (the error
   * pipe reached EOF) or throws a SpawnError carrying SpawnFailure data (the
   * failed child has been reaped).
   */
  spawn(plan: SpawnPlan): SpawnedProcess
  /** Call onExit once, on the libuv loop, when the process behind pidfd exits (waitid(P_PIDFD) reaps it). */
  watchExit(pidfd: number, onExit: (status: ExitStatus) => void): void
  /** pidfd_send_signal(2); ESRCH (already exited) is not an error. */
  signal(pidfd: number, signal: number): void
  /** pipe2(O_CLOEXEC): [readFd, writeFd] */
  pipe(): [number, number]
  /** close(2) */
  close(fd: number): void
  /** bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program (src/cgroup/device-filter.ts): its fd */
  loadDeviceFilter(program: Buffer): number
  /** bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) of that program to the cgroup open at cgroupFd (cgroupPath for errors); replaces one attached before */
  attachDeviceFilter(progFd: number, cgroupFd: number, cgroupPath: string): void
}

/** Linux constants the plan builder needs (x86_64 / generic values). */
export const CLONE_NEWNS = 0x00020000
export const CLONE_NEWUTS = 0x04000000
export const CLONE_NEWIPC = 0x08000000
export const CLONE_NEWPID = 0x20000000
export const CLONE_NEWNET = 0x40000000

export const MS_RDONLY = 0x1
export const MS_NOSUID = 0x2
export const MS_NODEV = 0x4
export const MS_NOEXEC = 0x8
export const MS_REMOUNT = 0x20
export const MS_BIND = 0x1000
export const MS_REC = 0x4000
export const MS_PRIVATE = 0x40000
export const MS_SLAVE = 0x80000
export const MS_STRICTATIME = 0x1000000
