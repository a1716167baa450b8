// kubelet's pod admission, for what podshim can judge on one node: the
// pod's OS (PodOSNotSupported) and its sysctls (SysctlForbidden, from the
// safe set and --allowed-unsafe-sysctls). A rejected pod never runs:
// kubelet leaves it Failed with the reason and "Pod was rejected: …".
import type { DefaultedPod } from '../spec/types'
import { forbiddenSysctl } from '../spec/sysctls'
import { podQosClass } from '../cgroup/qos'
import { containerResources, initContainerResources } from '../supervisor/resources'

export interface Rejection {
  reason: 'PodOSNotSupported' | 'SysctlForbidden'
  /** kubelet's message */
  message: string
  /** the field, and how to go on, for the terminal */
  detail: string
}

/** Why kubelet would reject the pod, or null when it would admit it. */
export function admissionFailure(pod: DefaultedPod, allowedUnsafeSysctls: readonly string[]): Rejection | null {
  const os = pod.spec.os?.name
  if (os !== undefined && os !== 'linux') {
    const message = "Failed to admit pod as the OS field doesn't match node OS"
    return { reason: 'PodOSNotSupported', message, detail: `spec.os.name: ${message} (got "${os}", this node runs linux)` }
  }
  const host = { network: pod.spec.hostNetwork, ipc: pod.spec.hostIPC }
  const sysctls = pod.spec.securityContext.sysctls ?? []
  for (const [i, { name }] of sysctls.entries()) {
    const message = forbiddenSysctl(name, allowedUnsafeSysctls, host)
    if (message !== null) {
      return {
        reason: 'SysctlForbidden', message,
        detail: `spec.securityContext.sysctls[${i}].name: ${message}; kubelet's safe set and --allowed-unsafe-sysctls say which may be set`,
      }
    }
  }
  return null
}

/** The status kubelet's rejectPod leaves. */
export function rejectedStatus(pod: DefaultedPod, rejection: Rejection): object {
  return {
    phase: 'Failed',
    reason: rejection.reason,
    message: `Pod was rejected: ${rejection.message}`,
    qosClass: podQosClass({ containers: containerResources(pod), initContainers: initContainerResources(pod) }),
  }
}
