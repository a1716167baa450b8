// The annotations kubelet puts on its own copy of a pod as it first sees it
// (pkg/kubelet/config: the source the pod came from, "api", and the time it
// was first seen, Go's RFC3339Nano), which the downward API then shows: a
// downwardAPI volume's `metadata.annotations` file lists them among the
// manifest's own, as it does under kubelet.
import type { DefaultedPod } from '../spec/types'
import { rfc3339Nano } from '../utc-time'

export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source'
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen'

/** The pod as kubelet holds it, seen at `nowNs` (ns since the epoch, UTC). */
export function withKubeletAnnotations(pod: DefaultedPod, nowNs: bigint): DefaultedPod {
  const annotations = { ...pod.metadata.annotations, [CONFIG_SEEN_ANNOTATION]: rfc3339Nano(nowNs), [CONFIG_SOURCE_ANNOTATION]: 'api' }
  return { ...pod, metadata: { ...pod.metadata, annotations } }
}
