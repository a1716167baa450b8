// The pod sandbox, as a CRI runtime's RunPodSandbox/StopPodSandbox: the
// pod's state directory, its cgroup, the shared /dev/shm tmpfs, volumes,
// /etc files and the pause process holding the pod's namespaces. Every
// step records what it made, so teardown undoes exactly that, in reverse,
// also after a partial setup.
import { mkdirSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { dirname, join } from 'node:path'
import type { NativeApi, ExitStatus } from '../native/contract'
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUTS } from '../native/contract'
import { MNT_DETACH, umount2 } from '../native/libc'
import { pauseCloneFlags, pausePlanOps } from '../sandbox/pause-plan'
import { prepareVolumes, teardownVolumes, type PreparedVolume } from '../sandbox/volumes'
import { hostAllocatable, type NodeAllocatable } from '../sandbox/downward-resources'
import { writeEtcFiles, type EtcFiles } from '../sandbox/etc-files'
import { PAUSE_LEAF, type PodCgroup } from '../cgroup/pod-cgroup'
import type { DefaultedPod } from '../spec/types'
import { NO_CONFIG_OBJECTS, type PodConfigObjects } from '../spec/config-objects'
import { podHostname } from '../spec/hostname'
import { spawnOrThrow } from './spawn-or-throw'
import { removeTree } from '../remove-tree'
import { removePodStateDir } from './pod-state-dir'
import { CAP_SYS_RESOURCE, hasCapability } from '../sandbox/capabilities'
import { readProcStat } from '../proc-stat'
import { DEFAULT_DEVICE_RULES, deviceFilterProgram } from '../cgroup/device-filter'
import { describeError } from './describe-error'
import { containerResources, initContainerResources } from './resources'
import { podCgroupValues } from '../cgroup/values'


/** A namespace the pod's containers join, by fd of /proc/<pause>/ns/<name>. */
export interface PodNamespace {
  fd: number
  nstype: number
  label: string
}

export interface ReapEvent {
  pid: number
  code: number | null
  signal: number | null
}

export interface SandboxPaths {
  /** <stateRoot>/pods/<uid> */
  stateDir: string
  /** <dataRoot>/pods/<uid>: emptyDir volumes */
  dataDir: string
}

/** Whether a process has installed any signal handler yet (SigCgt in /proc/<pid>/status). */
function hasSignalHandlers(pid: number): boolean {
  try {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m !== null && /[1-9a-f]/.test(m[1])
  } catch {
    return false
  }
}

/** Whether dir is the root of a mount (its device differs from its parent's). */
function isMountPoint(dir: string): boolean {
  const st = statSync(dir, { throwIfNoEntry: false })
  return st !== undefined && st.dev !== statSync(dirname(dir)).dev
}

export class PodSandbox {
  pausePid = 0
  private pausePidfd = -1
  private pauseExited: Promise<ExitStatus> | undefined
  /** the /dev/shm tmpfs may be mounted: pause's start got as far as trying */
  private shmMayBeMounted = false
  private volumesMade: PreparedVolume[] = []
  volumes = new Map<string, PreparedVolume>()
  etc: EtcFiles | undefined
  /** net, ipc, uts to setns() into, in that order; empty where the pod uses the host's */
  joinNamespaces: PodNamespace[] = []
  /** fd of pause's PID namespace, or -1 (hostPID, or shareProcessNamespace: false) */
  pidNsFd = -1
  shmSource = '/dev/shm'
  private reapSocket: Socket | undefined
  /** containerd gives the sandbox oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE */
  readonly canSetOomScoreAdj = hasCapability(CAP_SYS_RESOURCE)
  /** the device cgroup program every unprivileged container's leaf gets (src/cgroup/device-filter.ts), or -1 */
  private deviceFilterFd = -1
  /** what the sandbox could not do as Kubernetes would, as warning events for the supervisor */
  readonly warnings: { reason: string; message: string }[] = []

  constructor(
    readonly native: NativeApi,
    readonly pod: DefaultedPod,
    readonly paths: SandboxPaths,
    readonly cgroup: PodCgroup,
    private readonly pausePath: string,
    /** the ConfigMaps and Secrets given beside the pod, for its env and volumes */
    readonly objects: PodConfigObjects = NO_CONFIG_OBJECTS,
  ) {}

  /** Create everything up to a running pause; throws after undoing what it did. */
  start(hostname: string, fqdn: string | null, onReap: (event: ReapEvent) => void, onPauseExit: (status: ExitStatus) => void): void {
    const spec = this.pod.spec
    mkdirSync(join(this.paths.stateDir, 'etc'), { recursive: true, mode: 0o755 })
    this.etc = writeEtcFiles(join(this.paths.stateDir, 'etc'), { hostname, hostsName: spec.hostNetwork ? hostname : podHostname(this.pod), fqdn, aliases: spec.hostAliases ?? [], dnsPolicy: spec.dnsPolicy, dnsConfig: spec.dnsConfig, hostNetwork: spec.hostNetwork })
    if (!spec.hostIPC) {
      // containerd's sandbox /dev/shm: one tmpfs shared by the pod's containers, mounted as pause starts
      this.shmSource = join(this.paths.stateDir, 'shm')
      mkdirSync(this.shmSource, { mode: 0o1777 })
    }
    mkdirSync(this.paths.dataDir, { recursive: true, mode: 0o700 })
    this.loadDeviceFilter()
    let allocatable: NodeAllocatable | undefined
    const sources = { pod: this.pod, objects: this.objects, node: () => (allocatable ??= hostAllocatable(this.paths.dataDir)) }
    this.volumes = prepareVolumes(spec.volumes, join(this.paths.dataDir, 'volumes'), podMemoryLimitBytes(this.pod), spec.securityContext.fsGroup, sources)
    this.volumesMade = [...this.volumes.values()]
    this.startPause(hostname, onReap, onPauseExit)
  }

  /**
   * Load the device program once per pod, and put it on pause's leaf as
   * containerd does: that attach also shows whether this host lets podshim's
   * cgroups have one (an ancestor's program may forbid it). Where it cannot,
   * the containers go unfiltered, and a warning says why.
   */
  private loadDeviceFilter(): void {
    if (this.pod.spec.containers.concat(this.pod.spec.initContainers).every((c) => c.securityContext?.privileged === true)) return
    let pauseLeaf = -1
    try {
      this.deviceFilterFd = this.native.loadDeviceFilter(deviceFilterProgram(DEFAULT_DEVICE_RULES))
      pauseLeaf = this.cgroup.openLeaf(PAUSE_LEAF)
      this.native.attachDeviceFilter(this.deviceFilterFd, pauseLeaf, this.cgroup.leafPath(PAUSE_LEAF))
    } catch (err) {
      if (this.deviceFilterFd >= 0) this.native.close(this.deviceFilterFd)
      this.deviceFilterFd = -1
      this.warnings.push({
        reason: 'DeviceFilterNotSet',
        message: `containers get no device cgroup filter (${describeError(err)}): MKNOD is left out of the default capability set (a container that adds it can make and open any device node)`,
      })
    } finally {
      if (pauseLeaf >= 0) closeSync(pauseLeaf)
    }
  }

  /** Whether unprivileged containers get the device program (else the default capabilities go without MKNOD). */
  get hasDeviceFilter(): boolean {
    return this.deviceFilterFd >= 0
  }

  /** Put the device program on a container's leaf (before each start: a restart replaces it); privileged containers get none. */
  filterDevices(container: string, cgroupFd: number): void {
    if (this.deviceFilterFd >= 0) this.native.attachDeviceFilter(this.deviceFilterFd, cgroupFd, this.cgroup.leafPath(container))
  }

  private startPause(hostname: string, onReap: (event: ReapEvent) => void, onPauseExit: (status: ExitStatus) => void): void {
    const spec = this.pod.spec
    const ns = { hostNetwork: spec.hostNetwork, hostPID: spec.hostPID, hostIPC: spec.hostIPC }
    const devNull = openSync('/dev/null', 'r+')
    let reapRead = -1
    let reapWrite = -1
    let cgroupFd = -1
    let killFd: number | null = null
    try {
      ;[reapRead, reapWrite] = this.native.pipe()
      cgroupFd = this.cgroup.openLeaf(PAUSE_LEAF)
      // no PID namespace ends with pause there: it kills the pod's cgroup if the supervisor dies
      if (spec.hostPID) {
        killFd = this.cgroup.openKill()
        if (killFd === null) {
          this.warnings.push({ reason: 'PodCgroupKillNotSet', message: 'this kernel has no cgroup.kill (Linux 5.14): with hostPID, processes the containers start outlive a supervisor killed with SIGKILL, until the next podshim run' })
        }
      }
      this.shmMayBeMounted = !spec.hostIPC
      const spawned = spawnOrThrow(this.native, {
        cloneFlags: pauseCloneFlags(ns),
        pidNsFd: -1,
        cgroupFd,
        ops: pausePlanOps({
          ns, hostname, pausePath: this.pausePath, fds: [devNull, devNull, devNull, reapWrite],
          // getppid() is 0 across a PID namespace: there the executor checks the parent by pidfd only
          parentPid: ns.hostPID ? process.pid : 0,
          canSetOomScoreAdj: this.canSetOomScoreAdj,
          shmDir: spec.hostIPC ? null : this.shmSource,
          killFd,
          sysctls: spec.securityContext.sysctls ?? [],
        }),
      }, 'start pause')
      this.pausePid = spawned.pid
      this.pausePidfd = spawned.pidfd
    } catch (err) {
      if (reapRead >= 0) this.native.close(reapRead)
      throw err
    } finally {
      closeSync(devNull)
      if (cgroupFd >= 0) closeSync(cgroupFd)
      if (killFd !== null) closeSync(killFd)
      if (reapWrite >= 0) this.native.close(reapWrite)
    }
    this.pauseExited = new Promise((resolve) => this.native.watchExit(this.pausePidfd, (status) => {
      this.native.close(this.pausePidfd)
      this.pausePidfd = -1
      resolve(status)
      onPauseExit(status)
    }))
    this.watchReaps(reapRead, onReap)
    const flags = pauseCloneFlags(ns)
    const open = (name: string, nstype: number): PodNamespace => ({ fd: openSync(`/proc/${this.pausePid}/ns/${name}`, 'r'), nstype, label: `${name} namespace of pause` })
    if (flags & CLONE_NEWNET) this.joinNamespaces.push(open('net', CLONE_NEWNET))
    if (flags & CLONE_NEWIPC) this.joinNamespaces.push(open('ipc', CLONE_NEWIPC))
    if (flags & CLONE_NEWUTS) this.joinNamespaces.push(open('uts', CLONE_NEWUTS))
    if (flags & CLONE_NEWPID && spec.shareProcessNamespace) this.pidNsFd = open('pid', CLONE_NEWPID).fd
    writeFileSync(join(this.paths.stateDir, 'pause.pid'), `${this.pausePid}\n`)
  }

  /**
   * Whether pause is on its way out: exiting (PF_EXITING in /proc/PID/stat),
   * a zombie, or gone. When it dies the kernel kills the rest of its PID
   * namespace first and waits for them to be reaped, so the supervisor sees
   * those exits before pause's own; a container must not be restarted into
   * a namespace that has no init.
   */
  isPauseExiting(): boolean {
    if (this.pausePid === 0) return false
    const stat = readProcStat(this.pausePid)
    const PF_EXITING = 0x4
    return stat === undefined || stat.state === 'Z' || stat.state === 'X' || (stat.flags & PF_EXITING) !== 0
  }

  private watchReaps(fd: number, onReap: (event: ReapEvent) => void): void {
    const socket = new Socket({ fd, readable: true, writable: false })
    this.reapSocket = socket
    let pending = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const m = /^reap (\d+) (exited|signaled) (\d+)$/.exec(line)
        if (m !== null) onReap({ pid: Number(m[1]), code: m[2] === 'exited' ? Number(m[3]) : null, signal: m[2] === 'signaled' ? Number(m[3]) : null })
      }
    })
    socket.on('error', () => socket.destroy())
    // reaping is a background activity: it must not keep `podshim run` alive
    socket.unref()
  }

  /** TERM pause (it exits 0, and the kernel kills what is left in its PID namespace), KILL after graceMs. */
  async stopPause(graceMs: number): Promise<void> {
    if (this.pauseExited === undefined || this.pausePidfd < 0) return
    // as PID 1, pause drops a TERM that comes before its handler is installed
    this.native.signal(this.pausePidfd, hasSignalHandlers(this.pausePid) ? 15 : 9)
    const timer = setTimeout(() => this.pausePidfd >= 0 && this.native.signal(this.pausePidfd, 9), graceMs)
    await this.pauseExited
    clearTimeout(timer)
  }

  /** Undo everything, in reverse; each step runs even if an earlier one failed. Returns the errors. */
  async teardown(): Promise<unknown[]> {
    const errors: unknown[] = []
    const step = async (fn: () => unknown): Promise<void> => {
      try {
        await fn()
      } catch (err) {
        errors.push(err)
      }
    }
    await step(() => this.stopPause(1000))
    await step(() => this.cgroup.remove())
    if (this.deviceFilterFd >= 0) await step(() => this.native.close(this.deviceFilterFd))
    this.deviceFilterFd = -1
    this.reapSocket?.destroy()
    for (const ns of this.joinNamespaces) await step(() => closeSync(ns.fd))
    this.joinNamespaces = []
    if (this.pidNsFd >= 0) await step(() => closeSync(this.pidNsFd))
    this.pidNsFd = -1
    await step(() => teardownVolumes(this.volumesMade))
    this.volumesMade = []
    // pause unmounts it as it shuts down; not when it was killed, or failed to start after mounting it
    if (this.shmMayBeMounted) await step(() => isMountPoint(this.shmSource) && umount2(this.shmSource, MNT_DETACH))
    this.shmMayBeMounted = false
    await step(() => removeTree(this.paths.dataDir))
    // a step that failed leaves the record, for a later run's stale-pod cleanup to try again
    if (errors.length === 0) await step(() => removePodStateDir(this.paths.stateDir, this.pod.metadata.uid))
    return errors
  }
}

/** The pod's memory limit as its cgroup gets it (kubelet's formula), or null where it has none. */
function podMemoryLimitBytes(pod: DefaultedPod): number | null {
  const max = podCgroupValues({ containers: containerResources(pod), initContainers: initContainerResources(pod) }).files['memory.max']
  return max === undefined || max === 'max' ? null : Number(max)
}
