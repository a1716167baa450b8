// Creates the pod's cgroup with kubelet's values (REFERENCE-kubelet.md §2.9):
// pod-level values on the pod cgroup, one leaf for pause (PAUSE_LEAF, a name
// no container can have) and one per container. Limits a host cannot enforce
// are returned, not hidden.
import { createPodCgroup, PAUSE_LEAF, type PodCgroup } from '../cgroup/pod-cgroup'
import { findCgroup2Mount, findCgroupV1Controllers } from '../cgroup/mount'
import { containerCgroupValues, pauseCgroupValues, podCgroupValues, type CgroupValues } from '../cgroup/values'
import type { DefaultedPod } from '../spec/types'
import { containerResources, initContainerResources, resourcesOf } from '../supervisor/resources'

export interface CgroupSetupOptions {
  parent: string
  strict: boolean
  pidsLimit: number
  /** the cgroup2 mount; found in /proc/self/mountinfo when absent */
  root?: string
}

export function setupPodCgroup(pod: DefaultedPod, opts: CgroupSetupOptions): PodCgroup {
  const containers = new Map<string, CgroupValues>([[PAUSE_LEAF, pauseCgroupValues()]])
  for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) containers.set(c.name, containerCgroupValues(resourcesOf(c)))
  return createPodCgroup({
    root: opts.root ?? findCgroup2Mount(),
    parent: opts.parent,
    podUid: pod.metadata.uid,
    leaves: [...containers.keys()],
    pod: podCgroupValues({ containers: containerResources(pod), initContainers: initContainerResources(pod) }, { pidsLimit: opts.pidsLimit }),
    containers,
    strict: opts.strict,
    v1Controllers: findCgroupV1Controllers(),
  })
}
