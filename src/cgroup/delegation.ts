// Which controllers a pod cgroup can get, and which declared limits it
// therefore cannot enforce. A controller reaches podshim's cgroups only if
// the nearest cgroup podshim did not create (the "gate": the parent's own
// parent, or a parent directory someone else made) enables it in its
// cgroup.subtree_control. podshim never writes to a cgroup it did not
// create, so it does not enable anything there: systemd hosts enable the
// controllers on the root already; elsewhere the user does
// (`echo +cpu > …/cgroup.subtree_control`), and until then the limits are
// reported as not enforced. A controller the gate does not even list in
// cgroup.controllers is bound to a cgroup v1 hierarchy (hybrid hosts) or
// not delegated to it by its own parent.
// cgroups(7), Documentation/admin-guide/cgroup-v2.rst ("Top-down Constraint")

import { join } from 'node:path'
import { CgroupFs, readIfExists } from './cgroup-fs'
import { CgroupController, CgroupValues, controllerOf } from './values'

export interface UnenforcedLimit {
  /** the container (leaf) it belongs to; absent for the pod level */
  container?: string
  resource: CgroupController
  file: string
  value: string
  reason: string
}

export interface Delegation {
  /** the cgroup whose cgroup.subtree_control decides (podshim does not write it) */
  gate: string
  /** the controllers the gate hands down to podshim's cgroups */
  usable: ReadonlySet<string>
  /** why a controller that is not usable is not */
  reasonFor(controller: string): string
}

/** A cgroup and the values podshim means to write in it. */
export interface LimitTarget {
  container?: string
  values: CgroupValues
}

/** The names in a space-separated controller list file (cgroup.controllers, cgroup.subtree_control); none when absent. */
export const readControllers = (cgfs: CgroupFs, file: string): Set<string> =>
  new Set((readIfExists(cgfs, file) ?? '').split(/\s+/).filter((c) => c !== ''))

/** What the gate hands down, read without writing anything. */
export const readDelegation = (cgfs: CgroupFs, gate: string, v1?: ReadonlyMap<string, string>): Delegation => {
  const present = readControllers(cgfs, join(gate, 'cgroup.controllers'))
  const subtreeControl = join(gate, 'cgroup.subtree_control')
  const usable = readControllers(cgfs, subtreeControl)
  const reasonFor = (controller: string): string => {
    if (present.has(controller)) {
      return `${controller} controller not enabled in ${subtreeControl} (podshim changes no cgroup it did not create)`
    }
    const where = v1?.get(controller)
    const hint = where === undefined ? 'bound to cgroup v1?' : `bound to cgroup v1 at ${where}`
    return `${controller} controller not available in cgroup v2 hierarchy ${gate} (${hint})`
  }
  return { gate, usable, reasonFor }
}

/** Each declared value whose controller does not reach its cgroup. */
export const findUnenforced = (targets: readonly LimitTarget[], delegation: Delegation): UnenforcedLimit[] => {
  const out: UnenforcedLimit[] = []
  for (const t of targets) {
    for (const file of t.values.declared) {
      const resource = controllerOf(file)
      if (delegation.usable.has(resource)) continue
      const value = t.values.files[file] ?? ''
      const reason = delegation.reasonFor(resource)
      out.push({ ...(t.container === undefined ? {} : { container: t.container }), resource, file, value, reason })
    }
  }
  return out
}

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
