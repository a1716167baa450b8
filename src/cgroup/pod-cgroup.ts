// The pod's cgroup on disk: `<cgroup2>/<parent>/<pod-uid>/` with pod-level
// values (kubelet's pod cgroup) and one leaf per container plus `pause/`
// (cgroup v2's "no internal processes" rule keeps processes out of the pod
// directory). Controllers are enabled top-down through cgroup.subtree_control.
// A controller the hierarchy lacks (hybrid hosts bind cpu/memory/pids to v1)
// is reported as unenforced limits, or is an error in strict mode.
//
// Rule: podshim never writes to a cgroup it did not create. The one exception
// is enabling a controller podshim needs in the cgroup.subtree_control of the
// parent directory's own parent (the cgroup2 root by default), when the
// controller is available there but not enabled, as on a pure v2 VM. The
// parent directory itself (`podshim` by default) is podshim's own.
// cgroups(7), Documentation/admin-guide/cgroup-v2.rst

import { basename, dirname, join } from 'node:path'
import { CgroupFs, errorCode, nodeCgroupFs, parseMemoryEvents, readIfExists, writeCgroupFile } from './cgroup-fs'
import type { MemoryEvents } from './cgroup-fs'
import { killAndRemoveTree, killTree, signalTree, removeParentIfEmpty, REMOVE_TIMEOUT_MS } from './teardown'
import { CgroupController, CgroupValues, controllerOf } from './values'

export const DEFAULT_PARENT = 'podshim'

export interface UnenforcedLimit {
  /** the container (leaf) it belongs to; absent for the pod level */
  container?: string
  resource: CgroupController
  file: string
  value: string
  reason: string
}

export interface CreatePodCgroupOptions {
  /** the cgroup2 mount point (see findCgroup2Mount) */
  root: string
  /** podshim's own directory under root, relative (default "podshim") */
  parent?: string
  podUid: string
  /** leaf names: "pause" and the container names */
  leaves: string[]
  pod: CgroupValues
  /** leaf name → values (pause: pauseCgroupValues()); a leaf without an entry gets no files */
  containers: Map<string, CgroupValues>
  /** throw instead of returning unenforced limits */
  strict?: boolean
  /** v1 controller → mount point, to say where a missing controller went */
  v1Controllers?: ReadonlyMap<string, string>
  fs?: CgroupFs
}

const checkName = (what: string, name: string): void => {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.startsWith('cgroup.')) {
    throw new Error(`check cgroup ${what}: "${name}" is not a plain directory name`)
  }
}

const checkParent = (parent: string): void => {
  for (const part of parent.split('/')) checkName('parent', part)
}

/** A parent named podshim* is podshim's namespace in the hierarchy: nothing else makes it. */
const isPodshimParent = (parent: string): boolean => basename(parent).startsWith('podshim')

const readControllers = (cgfs: CgroupFs, file: string): Set<string> =>
  new Set((readIfExists(cgfs, file) ?? '').split(/\s+/).filter((c) => c !== ''))

/** One line per missing controller, naming each limit it leaves unenforced. */
export const describeUnenforced = (limits: readonly UnenforcedLimit[]): string => {
  const byReason = new Map<string, string[]>()
  for (const l of limits) {
    const owner = l.container === undefined ? 'the pod' : `container "${l.container}"`
    const list = byReason.get(l.reason) ?? []
    list.push(`${l.file} "${l.value}" of ${owner}`)
    byReason.set(l.reason, list)
  }
  return [...byReason].map(([reason, items]) => `${items.join(', ')}: ${reason}`).join('; ')
}

interface Target {
  dir: string
  container?: string
  values: CgroupValues
}

export class PodCgroup {
  private readonly oomBaseline = new Map<string, number>()

  constructor(
    private readonly cgfs: CgroupFs,
    readonly root: string,
    readonly parent: string,
    readonly podUid: string,
    readonly leaves: readonly string[],
    readonly unenforced: readonly UnenforcedLimit[],
    private readonly isParentOwned: boolean,
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

  /** Kill, wait until empty (bounded), rmdir leaves and pod, and the parent if podshim's and empty. */
  async remove(timeoutMs = REMOVE_TIMEOUT_MS): Promise<void> {
    await killAndRemoveTree(this.cgfs, this.path, timeoutMs)
    if (this.isParentOwned) removeParentIfEmpty(this.cgfs, join(this.root, this.parent))
  }
}

/** Create the pod cgroup and its leaves and write their values. */
export const createPodCgroup = (opts: CreatePodCgroupOptions): PodCgroup => {
  const cgfs = opts.fs ?? nodeCgroupFs
  const parent = opts.parent ?? DEFAULT_PARENT
  checkParent(parent)
  checkName('pod uid', opts.podUid)
  for (const leaf of opts.leaves) checkName('leaf', leaf)
  const parentDir = join(opts.root, parent)
  const podDir = join(parentDir, opts.podUid)
  const targets: Target[] = [
    { dir: podDir, values: opts.pod },
    ...opts.leaves.map((name) => ({
      dir: join(podDir, name),
      container: name,
      values: opts.containers.get(name) ?? { files: {}, declared: [] },
    })),
  ]

  const grandparent = dirname(parentDir)
  const available = readControllers(cgfs, join(grandparent, 'cgroup.controllers'))
  const neededBy = (ts: readonly Target[]): string[] => [
    ...new Set(ts.flatMap((t) => Object.keys(t.values.files).map(controllerOf))),
  ].filter((c) => available.has(c))
  const enable = neededBy(targets)
  const enableInPod = neededBy(targets.slice(1))
  const unenforced = findUnenforced(targets, available, grandparent, opts.v1Controllers)
  if (opts.strict && unenforced.length > 0) {
    throw new Error(`create pod cgroup "${opts.podUid}": limits not enforceable: ${describeUnenforced(unenforced)}`)
  }

  // the one write outside podshim's own cgroups (see the header)
  enableControllers(cgfs, grandparent, enable)

  const created: string[] = []
  const isParentCreated = mkdirIfAbsent(cgfs, parentDir)
  if (isParentCreated) created.push(parentDir)
  try {
    enableControllers(cgfs, parentDir, enable)
    mkdirNew(cgfs, podDir)
    created.push(podDir)
    enableControllers(cgfs, podDir, enableInPod)
    for (const t of targets) {
      if (t.dir !== podDir) {
        mkdirNew(cgfs, t.dir)
        created.push(t.dir)
      }
      for (const [file, value] of Object.entries(t.values.files)) {
        if (available.has(controllerOf(file))) writeCgroupFile(cgfs, join(t.dir, file), value)
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
  const isParentOwned = isParentCreated || isPodshimParent(parent)
  return new PodCgroup(cgfs, opts.root, parent, opts.podUid, [...opts.leaves], unenforced, isParentOwned)
}

const findUnenforced = (
  targets: readonly Target[],
  available: ReadonlySet<string>,
  hierarchy: string,
  v1?: ReadonlyMap<string, string>,
): UnenforcedLimit[] => {
  const out: UnenforcedLimit[] = []
  for (const t of targets) {
    for (const file of t.values.declared) {
      const resource = controllerOf(file)
      if (available.has(resource)) continue
      const where = v1?.get(resource)
      const hint = where === undefined ? 'bound to cgroup v1?' : `bound to cgroup v1 at ${where}`
      const reason = `${resource} controller not available in cgroup v2 hierarchy ${hierarchy} (${hint})`
      const value = t.values.files[file] ?? ''
      out.push({ ...(t.container === undefined ? {} : { container: t.container }), resource, file, value, reason })
    }
  }
  return out
}

const mkdirIfAbsent = (cgfs: CgroupFs, dir: string): boolean => {
  try {
    cgfs.mkdir(dir)
    return true
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false
    throw new Error(`create cgroup ${dir}: ${(err as Error).message}`, { cause: err })
  }
}

const mkdirNew = (cgfs: CgroupFs, dir: string): void => {
  try {
    cgfs.mkdir(dir)
  } catch (err) {
    const hint = errorCode(err) === 'EEXIST' ? ' (left by an earlier run? see removeStalePodCgroup)' : ''
    throw new Error(`create cgroup ${dir}: ${(err as Error).message}${hint}`, { cause: err })
  }
}

/** Enable in dir's subtree_control what is wanted and not yet enabled (dir is podshim's). */
const enableControllers = (cgfs: CgroupFs, dir: string, wanted: readonly string[]): void => {
  if (wanted.length === 0) return
  const enabled = readControllers(cgfs, join(dir, 'cgroup.subtree_control'))
  const missing = wanted.filter((c) => !enabled.has(c))
  if (missing.length === 0) return
  writeCgroupFile(cgfs, join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '))
}

/**
 * Remove a pod cgroup found on disk (a crashed supervisor's): kill what
 * runs in it, wait, rmdir bottom-up, then the parent if podshim's and empty.
 * Returns whether there was anything to remove.
 */
export const removeStalePodCgroup = async (
  root: string,
  parent: string,
  podUid: string,
  opts: { fs?: CgroupFs; timeoutMs?: number } = {},
): Promise<boolean> => {
  const cgfs = opts.fs ?? nodeCgroupFs
  checkParent(parent)
  checkName('pod uid', podUid)
  const podDir = join(root, parent, podUid)
  let isPresent = true
  try {
    cgfs.listDirs(podDir)
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err
    isPresent = false
  }
  if (isPresent) await killAndRemoveTree(cgfs, podDir, opts.timeoutMs)
  if (isPodshimParent(parent)) removeParentIfEmpty(cgfs, join(root, parent))
  return isPresent
}
