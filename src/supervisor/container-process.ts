// Starts one container instance in the pod sandbox: works out the process
// (argv, env, user, cwd), resolves its mounts, compiles the plan and spawns
// it as the supervisor's child; streams its stdout/stderr to the CRI log
// and the terminal; reports its exit once its output has drained. When the
// main process exits, whatever it left in the container's cgroup is killed,
// as containerd does for a container's remaining processes.
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { hostname as hostHostname, totalmem } from 'node:os'
import { join, posix } from 'node:path'
import { CLONE_NEWNS, CLONE_NEWPID, type ExitStatus, type NativeApi, type SpawnedProcess } from '../native/contract'
import { makePipes } from '../native/pipes'
import { SyscallError } from '../native/syscall-error'
import { containerPlanOps, settableOomScoreAdj } from '../sandbox/container-plan'
import { MASKED_PATHS, READONLY_PATHS, type MaskedPath } from '../sandbox/default-mounts'
import { containerEnv, findExecutable, processSpec, type NodeInfo, type ProcessSpec } from '../sandbox/process-spec'
import { hostAllocatable, type NodeAllocatable } from '../sandbox/downward-resources'
import { containerPath, expandSubPathExpr, resolveVolumeMounts } from '../sandbox/volumes'
import type { ResolvedImage } from '../images/resolver'
import type { DefaultedContainer } from '../spec/types'
import { CriLogWriter, warnOnStderr, type LogStream } from '../logs/cri-log'
import type { PodSandbox } from './pod-sandbox'
import { spawnOrThrow } from './spawn-or-throw'
import { firstHostAddress } from './pod-status'
import { removeTree } from '../remove-tree'
import { lastCapability } from '../sandbox/capabilities'
import { hostDevices } from '../sandbox/host-devices'
import { resolveInRoot } from '../sandbox/resolve-in-root'
import { imageUsers, isExecutableIn } from '../sandbox/image-lookup'

export interface ContainerOutput {
  /** a line of output as bytes; false = stop reading this container until whenDrained calls back */
  line(container: string, stream: LogStream, text: Buffer): boolean
  whenDrained(stream: LogStream, callback: () => void): void
  /** false under -q: the lines go nowhere but the log */
  readonly isOutputShown: boolean
}

export interface StartedProcess {
  pid: number
  startedAt: Date
  /** resolves when the process exited and its output was drained */
  exited: Promise<ExitStatus>
  signal(sig: number): void
  /** the container's termination message file on the host */
  terminationLog: string
  /** FallbackToLogsOnError: this instance's CRI log, whose tail is the message of a failure that wrote none; else null */
  fallbackLog: string | null
  /** how the main process ended, once `exited` resolved; null before */
  readonly exitStatus: ExitStatus | null
  /** what it runs as: probes and hooks exec with the same env, ids and working dir */
  spec: Pick<ProcessSpec, 'env' | 'ids' | 'capabilities' | 'workingDir'> & { oomScoreAdj: number | null }
  /** kubelet's oom_score_adj for it where lowering to it was not permitted (it kept the inherited one), else null */
  oomScoreAdjNotSet?: number | null
}

let hostMasks: { masked: MaskedPath[]; readonlyPaths: string[] } | undefined

/** containerd's masked/read-only paths that exist on this kernel (same kernel inside and out). */
function kernelMasks(): { masked: MaskedPath[]; readonlyPaths: string[] } {
  hostMasks ??= {
    masked: MASKED_PATHS.filter((p) => existsSync(p)).map((p) => ({ path: p, isDir: statSync(p).isDirectory() })),
    readonlyPaths: READONLY_PATHS.filter((p) => existsSync(p)),
  }
  return hostMasks
}

interface StartInput {
  native: NativeApi
  sandbox: PodSandbox
  container: DefaultedContainer
  image: ResolvedImage
  hostname: string
  logDir: string
  restartCount: number
  output: ContainerOutput
  /** the configuration is made (kubelet's generateContainerConfig passed): the container counts as created */
  onCreated?: () => void
}

export function startContainerProcess(input: StartInput): StartedProcess {
  const { native, sandbox, container, image } = input
  const pod = sandbox.pod
  // read once per start, and only for a resourceFieldRef (each env entry asks)
  let allocatable: NodeAllocatable | undefined
  const node: NodeInfo = { name: hostHostname(), hostIP: firstHostAddress(), allocatable: () => (allocatable ??= hostAllocatable(sandbox.paths.dataDir)) }
  const spec = processSpec({
    pod, container, image: image.config, hostname: input.hostname, node, objects: sandbox.objects,
    users: imageUsers(image.lookupRoot), machineMemoryBytes: totalmem(),
    hasDeviceFilter: sandbox.hasDeviceFilter,
  })
  // the child inherits the supervisor's oom_score_adj; kubelet's value replaces it where the kernel lets it
  const inheritedOomScoreAdj = Number(readFileSync('/proc/self/oom_score_adj', 'utf8'))
  const oomScoreAdj = settableOomScoreAdj(spec.oomScoreAdj, inheritedOomScoreAdj, sandbox.canSetOomScoreAdj)
  // the rest of kubelet's configuration: the subPathExprs (a variable without a value is a config error)
  // made once, and only for a pod that has a subPathExpr (processSpec made the same env for the process)
  let ownEnv: ReadonlyMap<string, string> | undefined
  const env = (): ReadonlyMap<string, string> => (ownEnv ??= containerEnv(pod, container, node, sandbox.objects))
  for (const vm of container.volumeMounts) if (vm.subPathExpr) expandSubPathExpr(vm.subPathExpr, env())
  input.onCreated?.()
  // containerd opens the log file as it starts the container: a start that fails (no such executable, a mount) leaves it empty
  const log = new CriLogWriter(input.logDir, input.restartCount, warnOnStderr(input.output.isOutputShown))
  let started: { spawned: SpawnedProcess; pipes: Array<[number, number]>; terminationLog: string }
  try {
    started = spawnContainer(input, spec, oomScoreAdj, env)
  } catch (err) {
    log.close()
    throw err
  }
  const { spawned, pipes, terminationLog } = started
  const [[outRead], [errRead]] = pipes

  const pumps = [
    pump(outRead, 'stdout', log, container.name, input.output),
    pump(errRead, 'stderr', log, container.name, input.output),
  ]
  const drained = Promise.all(pumps.map((p) => p.done))
  const { pidfd } = spawned
  let isRunning = true
  let exitStatus: ExitStatus | null = null
  const exited = new Promise<ExitStatus>((resolve) => {
    native.watchExit(pidfd, (status) => {
      isRunning = false
      native.close(pidfd)
      // the rest of the container's processes go with its main process
      try {
        sandbox.cgroup.killLeaf(container.name)
      } catch {
        // the leaf is already gone (pod teardown)
      }
      // what is left in the pipes is bounded now: read it out even if the terminal is behind, so the exit (and a stop) never waits on a reader
      for (const p of pumps) p.flush()
      void drained.then(() => {
        log.close()
        exitStatus = status
        resolve(status)
      })
    })
  })
  return {
    pid: spawned.pid,
    startedAt: new Date(),
    exited,
    terminationLog,
    fallbackLog: container.terminationMessagePolicy === 'FallbackToLogsOnError' ? log.path : null,
    get exitStatus() {
      return exitStatus
    },
    spec: { env: spec.env, ids: spec.ids, capabilities: spec.capabilities, workingDir: posix.normalize(spec.workingDir), oomScoreAdj },
    oomScoreAdjNotSet: oomScoreAdj === null && spec.oomScoreAdj !== inheritedOomScoreAdj ? spec.oomScoreAdj : null,
    signal: (sig) => {
      if (isRunning) native.signal(pidfd, sig)
    },
  }
}

/** lstat(2) succeeds: the path exists, a dangling symlink included. */
function lexists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined
}

/**
 * The container's writable layer, beside its root under the pod's state
 * directory: a fresh one for each start, as kubelet creates a new container
 * from the image for each restart (nothing the last run wrote survives it).
 */
function overlayDirs(dir: string): { upper: string; work: string } {
  const dirs = { upper: join(dir, 'upper'), work: join(dir, 'work') }
  removeTree(dirs.upper)
  removeTree(dirs.work)
  mkdirSync(dirs.upper, { recursive: true, mode: 0o755 })
  mkdirSync(dirs.work, { recursive: true, mode: 0o700 })
  return dirs
}

interface Pump {
  /** the pipe ended (or failed) and its last line went out */
  done: Promise<void>
  /** read on to the end whatever the terminal does */
  flush(): void
}

/** The container's root, mounts and plan, and its spawn: the main process, its output pipes and its termination-log file. */
function spawnContainer(input: StartInput, spec: ProcessSpec, oomScoreAdj: number | null, env: () => ReadonlyMap<string, string>): { spawned: SpawnedProcess; pipes: Array<[number, number]>; terminationLog: string } {
  const { native, sandbox, container, image } = input
  const pod = sandbox.pod
  const exe = findExecutable(spec.argv[0], spec.env, isExecutableIn(image.lookupRoot))
  if (exe === undefined) throw new SyscallError('execve', 2, { path: spec.argv[0] })

  const dir = join(sandbox.paths.stateDir, 'containers', container.name)
  const root = join(dir, 'rootfs')
  mkdirSync(root, { recursive: true, mode: 0o755 })
  // as kubelet: a fresh file per instance, writable by any user the container runs as (chmod: the umask is not asked)
  const terminationLog = join(dir, 'termination-log')
  writeFileSync(terminationLog, '')
  chmodSync(terminationLog, 0o666)
  // as kubelet: one more bind mount, at whatever path the container names; the child resolves it inside the root
  // at mount time (below a volume or /dev as mounted by then), making the directories it lacks
  const terminationMount = {
    source: terminationLog, target: containerPath(container.terminationMessagePath, 'terminationMessagePath'), readOnly: false, isFile: true,
  }

  const etc = sandbox.etc!
  const { mounts, fds: mountFds } = resolveVolumeMounts(container, sandbox.volumes, image, env)
  // the host view's /etc is the host's, read-only: a file the host lacks cannot be created there. A file that
  // is a symlink (/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) is mounted where it leads, as runc does
  const etcMounts = [
    { source: etc.hostname, target: '/etc/hostname', readOnly: false, isFile: true },
    { source: etc.hosts, target: '/etc/hosts', readOnly: false, isFile: true },
    { source: etc.resolvConf, target: '/etc/resolv.conf', readOnly: false, isFile: true },
  ].filter((m) => image.rootfs.kind !== 'entries' || lexists(join(image.lookupRoot, m.target)))
    .map((m) => ({ ...m, target: resolveInRoot(image.lookupRoot, m.target) }))
  const ownPidNs = !pod.spec.hostPID && !pod.spec.shareProcessNamespace
  const isPrivileged = container.securityContext?.privileged === true
  // what only the child keeps: closed here once it has them, or on any failure
  const childFds = [...mountFds]
  let pipes: Array<[number, number]> = []
  let spawned: SpawnedProcess
  try {
    const devNull = openSync('/dev/null', 'r')
    childFds.push(devNull)
    pipes = makePipes(native, 2)
    const [[, outWrite], [, errWrite]] = pipes
    const cgroupFd = sandbox.cgroup.openLeaf(container.name)
    childFds.push(cgroupFd)
    // containerd: a privileged container's devices are not filtered
    if (!isPrivileged) sandbox.filterDevices(container.name, cgroupFd)
    sandbox.cgroup.markStarted(container.name)
    spawned = spawnOrThrow(native, {
      cloneFlags: CLONE_NEWNS | (ownPidNs ? CLONE_NEWPID : 0),
      pidNsFd: sandbox.pidNsFd,
      cgroupFd,
      ops: containerPlanOps({
        root,
        rootfs: image.rootfs,
        overlayDirs: image.rootfs.kind === 'overlay' ? overlayDirs(dir) : null,
        readOnlyRootFilesystem: container.securityContext?.readOnlyRootFilesystem === true,
        // last, as containerd sorts mounts by depth: a volume holding the path is there before it
        mounts: [...etcMounts, ...mounts, terminationMount],
        shmSource: sandbox.shmSource,
        ...kernelMasks(),
        privileged: isPrivileged ? { hostDevices: hostDevices() } : null,
        joinNamespaces: sandbox.joinNamespaces,
        stdio: [devNull, outWrite, errWrite],
        parentPid: pod.spec.hostPID ? process.pid : 0,
        ids: spec.ids,
        oomScoreAdj,
        capabilities: { ...spec.capabilities, lastCap: lastCapability() },
        workingDir: posix.normalize(spec.workingDir),
        exec: { path: exe, argv: spec.argv, envp: spec.env },
      }),
    }, `start container "${container.name}"`)
  } catch (err) {
    for (const [read] of pipes) native.close(read)
    throw err
  } finally {
    for (const fd of childFds) closeSync(fd)
    for (const [, write] of pipes) native.close(write)
  }
  return { spawned, pipes, terminationLog }
}

function pump(fd: number, stream: LogStream, log: CriLogWriter, name: string, output: ContainerOutput): Pump {
  const socket = new Socket({ fd, readable: true, writable: false })
  let isFlushing = false
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      let isBehind = false
      for (const line of log.write(stream, chunk)) if (!output.line(name, stream, line)) isBehind = true
      // the terminal is behind: the container's pipe fills and its writes wait, as with any slow reader
      if (isBehind && !isFlushing) {
        socket.pause()
        output.whenDrained(stream, () => socket.resume())
      }
    })
    // 'close' comes once, after the last data, whether the pipe ended or failed
    socket.once('close', () => {
      const rest = log.end(stream)
      if (rest !== undefined) output.line(name, stream, rest)
      resolve()
    })
    socket.on('error', () => socket.destroy())
  })
  return {
    done,
    flush: () => {
      isFlushing = true
      socket.resume()
    },
  }
}
