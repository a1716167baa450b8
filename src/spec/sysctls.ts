// Pod sysctls (spec.securityContext.sysctls) as Kubernetes judges them:
// the API's name rules (pkg/apis/core/validation validateSysctls), the
// namespace a name belongs to (component-helpers/node/util/sysctl
// GetNamespace), and kubelet's admission (pkg/kubelet/sysctl): only its
// safe set, plus the namespaced ones --allowed-unsafe-sysctls names (a name,
// or a prefix ending in `*`). The runtime writes them in the sandbox's
// namespaces; sysctlProcPath() says where.

export type SysctlNamespace = 'ipc' | 'net';

const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
/** sysctlContainSlashPatternFmt: segments separated by `.` or `/` */
export const SYSCTL_NAME_PATTERN = `(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}`;
const SYSCTL_NAME_RE = new RegExp(`^${SYSCTL_NAME_PATTERN}$`);
export const SYSCTL_MAX_LENGTH = 253;
/** IsValidSysctlPattern: a name, or a prefix of one ending in `*` */
const SYSCTL_PATTERN = `^(${SYSCTL_SEGMENT}[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]$`;
const SYSCTL_PATTERN_RE = new RegExp(SYSCTL_PATTERN);

/** kubelet's safe set (safe_sysctls.go): always allowed. */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

const NAMESPACED: Readonly<Record<string, SysctlNamespace>> = { 'kernel.sem': 'ipc' };
const NAMESPACED_PREFIXES: Readonly<Record<string, SysctlNamespace>> = {
  'kernel.shm': 'ipc',
  'kernel.msg': 'ipc',
  'fs.mqueue.': 'ipc',
  'net.': 'net',
};

export function isValidSysctlName(name: string): boolean {
  return name.length <= SYSCTL_MAX_LENGTH && SYSCTL_NAME_RE.test(name);
}

/**
 * NormalizeName: a name whose first separator is `/` has its `.` and `/`
 * swapped (net/ipv4/conf/eno2.100/rp_filter is net.ipv4.conf.eno2/100.rp_filter).
 */
export function normalizeSysctlName(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** The namespace a sysctl belongs to, or null when Kubernetes knows it as not namespaced. */
export function sysctlNamespace(name: string): SysctlNamespace | null {
  const normal = normalizeSysctlName(name);
  if (NAMESPACED[normal] !== undefined) return NAMESPACED[normal];
  for (const [prefix, ns] of Object.entries(NAMESPACED_PREFIXES)) if (normal.startsWith(prefix)) return ns;
  return null;
}

/** The file under /proc/sys that holds it: net.ipv4.conf.eno2/100.rp_filter → /proc/sys/net/ipv4/conf/eno2.100/rp_filter. */
export function sysctlProcPath(name: string): string {
  return `/proc/sys/${normalizeSysctlName(name).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;
}

/**
 * The unsafe sysctls a user allows (kubelet's --allowed-unsafe-sysctls).
 * @throws Error naming a pattern that is not a namespaced sysctl, as kubelet refuses to start with one
 */
export function checkAllowedUnsafeSysctls(patterns: readonly string[]): void {
  for (const pattern of patterns) {
    const normal = normalizeSysctlName(pattern)
    if (normal.length > SYSCTL_MAX_LENGTH || !SYSCTL_PATTERN_RE.test(normal)) {
      throw new Error(`sysctl "${normal}" must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_PATTERN}`)
    }
    const name = normalizeSysctlName(pattern.endsWith('*') ? pattern.slice(0, -1) : pattern);
    if (sysctlNamespace(name) === null) throw new Error(`the sysctls "${name}" are not known to be namespaced`);
  }
}

/**
 * kubelet's sysctl admission for one pod sysctl: null when allowed, else
 * the reason it is forbidden (the pod is rejected with SysctlForbidden).
 */
export function forbiddenSysctl(name: string, allowedUnsafe: readonly string[], host: { network: boolean; ipc: boolean }): string | null {
  const normal = normalizeSysctlName(name);
  const ns = sysctlNamespace(normal);
  const isAllowed = SAFE_SYSCTLS.includes(normal) || allowedUnsafe.some((p) => (p.endsWith('*') ? normal.startsWith(normalizeSysctlName(p.slice(0, -1))) : normalizeSysctlName(p) === normal));
  if (!isAllowed) return `forbidden sysctl: "${normal}" not allowlisted`;
  if ((ns === 'ipc' && host.ipc) || (ns === 'net' && host.network)) return `forbidden sysctl: "${normal}" not allowed with host ${ns} enabled`;
  return null;
}
