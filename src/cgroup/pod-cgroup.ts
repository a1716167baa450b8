// The pod's cgroup on disk: `<cgroup2>/<parent>/<pod-uid>/` with pod-level
// values (kubelet's pod cgroup) and one leaf per container plus `_pause/`
// (cgroup v2's "no internal processes" rule keeps processes out of the pod
// directory). Controllers are enabled top-down through cgroup.subtree_control,
// from podshim's parent directory down, never above it: podshim writes to no
// cgroup it did not create (see delegation.ts). The parent (`podshim` by
// default) may be nested, like kubelet's (`a/b`): each level any podshim run
// makes is podshim's, to write and to remove when empty, by whichever pod is
// the last out (cgroup-levels.ts); the last level is podshim's also when
// named podshim*; a level someone else made is used as it is.
// A controller that does not reach the parent (hybrid hosts bind cpu/memory/
// pids to v1) is reported as unenforced limits, or is an error in strict mode.
// cgroups(7), Documentation/admin-guide/cgroup-v2.rst

import { join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs, parseMemoryEvents, readIfExists, writeCgroupFile } from './cgroup-fs'
import type { MemoryEvents } from './cgroup-fs'
import { describeUnenforced, findUnenforced, readDelegation } from './delegation'
import { checkName, checkParent, enableControllers, firstPodshimLevel, isPodshimParent, makePodDir, mkdirNew, parentLevels, removeEmptyLevels, withLevelsLocked } from './cgroup-levels'
import type { LimitTarget, UnenforcedLimit } from './delegation'
import { killAndRemoveTree, killTree, signalTree, REMOVE_TIMEOUT_MS } from './teardown'
import { CgroupController, CgroupValues, controllerOf } from './values'

export const DEFAULT_PARENT = 'podshim'

/**
 * pause's leaf. Container names are RFC 1123 labels (lowercase
 * alphanumerics and '-'), which cannot hold '_': no container's leaf can
 * ever be pause's, not even one of a container named "pause" (whose exit
 * would kill its leaf, pause in it, and so the whole pod).
 */
export const PAUSE_LEAF = '_pause'

export interface CreatePodCgroupOptions {
  /** the cgroup2 mount point (see findCgroup2Mount) */
  root: string
  /** podshim's own directory under root, relative, nested or not (default "podshim") */
  parent?: string
  podUid: string
  /** leaf names: PAUSE_LEAF and the container names */
  leaves: string[]
  pod: CgroupValues
  /** leaf name → values (PAUSE_LEAF: pauseCgroupValues()); a leaf without an entry gets no files */
  containers: Map<string, CgroupValues>
  /** throw instead of returning unenforced limits */
  strict?: boolean
  /** v1 controller → mount point, to say where a missing controller went */
  v1Controllers?: ReadonlyMap<string, string>
  fs?: CgroupFs
}

interface Target extends LimitTarget {
  dir: string
}

/**
 * Enabled for the leaves wherever usable, limit or not: memory.events then
 * counts every OOM kill of a container, a limitless one's too (runc enables
 * every controller it can on a container's cgroup).
 */
const LEAF_CONTROLLERS: readonly CgroupController[] = ['memory']

export class PodCgroup {
  private readonly oomBaseline = new Map<string, number>()

  constructor(
    private readonly cgfs: CgroupFs,
    readonly root: string,
    readonly parent: string,
    readonly podUid: string,
    readonly leaves: readonly string[],
    readonly unenforced: readonly UnenforcedLimit[],
    /** the directories of the parent's levels, top first */
    private readonly levels: readonly string[],
    /** those this run made, and a podshim* last level: its own even without podshim's mark */
    private readonly ownLevels: ReadonlySet<string>,
  ) {}

  /** `<root>/<parent>/<podUid>` */
  get path(): string {
    return join(this.root, this.parent, this.podUid)
  }

  leafPath(name: string): string {
    if (!this.leaves.includes(name)) throw new Error(`find cgroup leaf "${name}": not a leaf of pod "${this.podUid}"`)
    return join(this.path, name)
  }

  /** An O_RDONLY|O_DIRECTORY|O_CLOEXEC fd of the leaf for clone3 CLONE_INTO_CGROUP; the caller closes it. */
  openLeaf(name: string): number {
    return this.cgfs.openDir(this.leafPath(name))
  }

  /** An O_WRONLY|O_CLOEXEC fd of the pod's cgroup.kill (for pause, in hostPID pods), or null on a kernel without it (< 5.14); the caller closes it. */
  openKill(): number | null {
    try {
      return this.cgfs.openForWrite(join(this.path, 'cgroup.kill'))
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return null
      throw err
    }
  }

  /** memory.events of the leaf; zeros without the memory controller. */
  readMemoryEvents(name: string): MemoryEvents {
    return parseMemoryEvents(readIfExists(this.cgfs, join(this.leafPath(name), 'memory.events')) ?? '')
  }

  /** Remember the leaf's oom_kill count as a container starts in it; returns it. */
  markStarted(name: string): number {
    const count = this.readMemoryEvents(name).oomKill
    this.oomBaseline.set(name, count)
    return count
  }

  /** Whether oom_kill went up since previousOomKill (default: the count at markStarted, else 0). */
  oomKilled(name: string, previousOomKill?: number): boolean {
    const before = previousOomKill ?? this.oomBaseline.get(name) ?? 0
    return this.readMemoryEvents(name).oomKill > before
  }

  /** SIGKILL every process left in one leaf (a container whose main process exited); the leaf stays usable. */
  killLeaf(name: string): void {
    signalTree(this.cgfs, this.leafPath(name))
  }

  /** SIGKILL every process of the pod: cgroup.kill, or each pid without it. */
  killAll(): void {
    killTree(this.cgfs, this.path)
  }

  /** Kill, wait until empty (bounded), rmdir leaves and pod, and each level of the parent that is podshim's and empty. */
  async remove(timeoutMs = REMOVE_TIMEOUT_MS): Promise<void> {
    await killAndRemoveTree(this.cgfs, this.path, timeoutMs)
    removeEmptyLevels(this.cgfs, this.levels, (dir) => this.ownLevels.has(dir))
  }
}

/** Create the pod cgroup and its leaves and write their values. */
export const createPodCgroup = (opts: CreatePodCgroupOptions): PodCgroup => {
  const cgfs = opts.fs ?? nodeCgroupFs
  const parent = opts.parent ?? DEFAULT_PARENT
  checkParent(parent)
  checkName('pod uid', opts.podUid)
  for (const leaf of opts.leaves) checkName('leaf', leaf)
  const twice = opts.leaves.find((leaf, i) => opts.leaves.indexOf(leaf) !== i)
  if (twice !== undefined) throw new Error(`check cgroup leaf: "${twice}" is named twice (two processes would share one leaf)`)
  const levels = parentLevels(opts.root, parent)
  const parentDir = levels[levels.length - 1]
  const podDir = join(parentDir, opts.podUid)
  const targets: Target[] = [
    { dir: podDir, values: opts.pod },
    ...opts.leaves.map((name) => ({
      dir: join(podDir, name),
      container: name,
      values: opts.containers.get(name) ?? { files: {}, declared: [] },
    })),
  ]

  // podshim's levels: those it makes now, and those a podshim run made before; the level above them is the gate,
  // never removed by a podshim run, and a level someone else made is left as it is
  // levels other than a podshim* last one are podshim's by their mark: no run may look while another makes and marks one
  const make = (): PodCgroup => makePodCgroup(cgfs, opts, levels, parent, podDir, targets)
  return levels.length > 1 || !isPodshimParent(parent) ? withLevelsLocked(cgfs, opts.root, make) : make()
}

const makePodCgroup = (cgfs: CgroupFs, opts: CreatePodCgroupOptions, levels: string[], parent: string, podDir: string, targets: Target[]): PodCgroup => {
  const firstOwned = firstPodshimLevel(cgfs, levels, parent)
  const delegation = readDelegation(cgfs, firstOwned === 0 ? opts.root : levels[firstOwned - 1], opts.v1Controllers)
  const usable = (cs: readonly string[]): string[] => [...new Set(cs)].filter((c) => delegation.usable.has(c))
  const controllersOf = (ts: readonly Target[]): string[] => ts.flatMap((t) => Object.keys(t.values.files).map(controllerOf))
  const enableInPod = usable([...controllersOf(targets.slice(1)), ...LEAF_CONTROLLERS])
  const enable = usable([...controllersOf(targets.slice(0, 1)), ...enableInPod])
  const unenforced = findUnenforced(targets, delegation)
  if (opts.strict && unenforced.length > 0) {
    throw new Error(`create pod cgroup "${opts.podUid}": limits not enforceable: ${describeUnenforced(unenforced)}`)
  }

  const created: string[] = []
  let firstCreated = levels.length
  try {
    firstCreated = makePodDir(cgfs, levels, firstOwned, podDir, enable, created)
    enableControllers(cgfs, podDir, enableInPod)
    for (const t of targets) {
      if (t.dir !== podDir) {
        mkdirNew(cgfs, t.dir)
        created.push(t.dir)
      }
      for (const [file, value] of Object.entries(t.values.files)) {
        if (!delegation.usable.has(controllerOf(file))) continue
        // what kubelet writes anyway goes where the kernel has the file (memory.swap.max: only with swap accounting)
        const path = join(t.dir, file)
        if (t.values.declared.includes(file) || readIfExists(cgfs, path) !== undefined) writeCgroupFile(cgfs, path, value)
      }
    }
  } catch (err) {
    for (const dir of created.reverse()) {
      try {
        cgfs.rmdir(dir)
      } catch {
        // best effort: the original error is the one to report
      }
    }
    throw err
  }
  // its own even where the kernel keeps no mark: the levels this call made, and a podshim* last level
  const ownedFrom = Math.min(firstCreated, isPodshimParent(parent) ? levels.length - 1 : levels.length)
  return new PodCgroup(cgfs, opts.root, parent, opts.podUid, [...opts.leaves], unenforced, levels, new Set(levels.slice(ownedFrom)))
}

