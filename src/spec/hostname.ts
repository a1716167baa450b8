// The pod's hostname and FQDN as kubelet computes them
// (pkg/kubelet/kubelet_pods.go GeneratePodHostnameAndDomain). For
// hostNetwork pods kubelet uses the node's hostname instead; that choice
// belongs to the caller, which knows the host.

/** Kubernetes' limit for a hostname: one RFC 1123 label. */
export const HOSTNAME_MAX_LENGTH = 63;

interface HostnameInput {
  metadata: { name: string; namespace?: string };
  spec: { hostname?: string; subdomain?: string; setHostnameAsFQDN?: boolean };
}

/** The Linux nodename field holds 64 characters (kubelet's fqdnMaxLen). */
export const FQDN_MAX_LENGTH = 64;

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

/**
 * The hostname the pod's UTS namespace gets (kubelet's
 * GetNodenameForKernel): its FQDN under setHostnameAsFQDN when it has one
 * (a subdomain), else podHostname().
 * @throws Error with kubelet's message when that FQDN is longer than 64 characters
 */
export function kernelHostname(pod: HostnameInput): string {
  const fqdn = podFqdn(pod);
  if (fqdn === null || pod.spec.setHostnameAsFQDN !== true) return podHostname(pod);
  if (fqdn.length > FQDN_MAX_LENGTH) {
    throw new Error(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LENGTH} characters is the max, ${fqdn.length} characters requested)`);
  }
  return fqdn;
}
