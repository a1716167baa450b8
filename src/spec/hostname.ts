// The pod's hostname and FQDN as kubelet computes them
// (pkg/kubelet/kubelet_pods.go GeneratePodHostnameAndDomain). For
// hostNetwork pods kubelet uses the node's hostname instead; that choice
// belongs to the caller, which knows the host.

/** Kubernetes' limit for a hostname: one RFC 1123 label. */
export const HOSTNAME_MAX_LENGTH = 63;

interface HostnameInput {
  metadata: { name: string; namespace?: string };
  spec: { hostname?: string; subdomain?: string };
}

/**
 * spec.hostname if set, else metadata.name; cut to 63 characters with any
 * trailing '-' or '.' removed, as kubelet's truncatePodHostnameIfNeeded.
 */
export function podHostname(pod: HostnameInput): string {
  const hostname = pod.spec.hostname !== undefined && pod.spec.hostname !== '' ? pod.spec.hostname : pod.metadata.name;
  if (hostname.length <= HOSTNAME_MAX_LENGTH) return hostname;
  return hostname.slice(0, HOSTNAME_MAX_LENGTH).replace(/[-.]+$/, '');
}

/**
 * `<hostname>.<subdomain>.<namespace>.svc.<clusterDomain>` when
 * spec.subdomain is set, else null (kubelet writes no FQDN then).
 */
export function podFqdn(pod: HostnameInput, clusterDomain = 'cluster.local'): string | null {
  const subdomain = pod.spec.subdomain;
  if (subdomain === undefined || subdomain === '') return null;
  const namespace = pod.metadata.namespace ?? 'default';
  return `${podHostname(pod)}.${subdomain}.${namespace}.svc.${clusterDomain}`;
}
