// Linux capabilities a container keeps: containerd's default set with
// securityContext.capabilities add/drop applied as containerd's CRI plugin
// applies them ("ALL" first, then each named one; a drop wins), or, for a
// privileged container, all of them. Pure.

/** capability(7) names without CAP_, by number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const

/**
 * containerd's default set (oci/spec.go defaultUnixCaps). Its MKNOD is
 * paired with the device cgroup filter (src/cgroup/device-filter.ts),
 * which lets a container make any node but open only the default devices;
 * where the kernel cannot load that filter, the default set goes without
 * MKNOD (a container root that could mknod could open the host's disks),
 * and `capabilities.add: [MKNOD]` gives it back.
 */
export const DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]

/** A capability's number from a Kubernetes name ("NET_ADMIN", also "CAP_NET_ADMIN", any case), or undefined. */
export function capabilityNumber(name: string): number | undefined {
  const bare = name.toUpperCase().replace(/^CAP_/, '')
  const n = CAPABILITY_NAMES.indexOf(bare as (typeof CAPABILITY_NAMES)[number])
  return n < 0 ? undefined : n
}

const isAll = (name: string): boolean => name.toUpperCase() === 'ALL'

/**
 * A privileged container's set: every capability, those of a kernel newer
 * than this list too (bits 0-52, what a number holds exactly; the plan
 * keeps those up to the kernel's last).
 */
export function allCapabilities(): number {
  return 2 ** 53 - 1
}

/**
 * The bounding set a container keeps, as a mask of capability numbers
 * (names validated beforehand); without a device filter, the default set
 * has no MKNOD.
 */
export function containerCapabilities(capabilities: { add?: string[]; drop?: string[] } | undefined, hasDeviceFilter: boolean): number {
  const add = capabilities?.add ?? []
  const drop = capabilities?.drop ?? []
  const kept = new Set(DEFAULT_CAPABILITIES.filter((name) => hasDeviceFilter || name !== 'MKNOD').map((name) => capabilityNumber(name) as number))
  if (add.some(isAll)) CAPABILITY_NAMES.forEach((_, n) => kept.add(n))
  if (drop.some(isAll)) kept.clear()
  for (const name of add) if (!isAll(name)) kept.add(capabilityNumber(name) as number)
  for (const name of drop) if (!isAll(name)) kept.delete(capabilityNumber(name) as number)
  // a number past 2^31 is still exact: the highest capability is 40
  return [...kept].reduce((mask, n) => mask + 2 ** n, 0)
}
