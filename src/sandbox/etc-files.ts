// The pod's /etc/hostname, /etc/hosts and /etc/resolv.conf, written once per
// pod and bind-mounted into every container, as kubelet manages them.
// The pod has no cluster network, so its own name resolves on loopback
// (127.0.1.1, as Debian does for a host without a fixed address); a
// hostNetwork pod gets the host's own hosts file, as kubelet gives it.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DNSPolicy, HostAlias, PodDNSConfig } from '../spec/types'
import { resolvConfContent } from './resolv-conf'

/** Pure: kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent). */
export function hostsFileContent(hostname: string, fqdn: string | null, aliases: HostAlias[]): string {
  const lines = [
    '# Kubernetes-managed hosts file (podshim).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    fqdn === null ? `127.0.1.1\t${hostname}` : `127.0.1.1\t${fqdn}\t${hostname}`,
  ]
  return lines.join('\n') + '\n' + hostAliasEntries(aliases)
}

/** Pure: a hostNetwork pod's hosts file, the node's own with the aliases after it (kubelet's nodeHostsFileContent). */
export function hostNetworkHostsContent(nodeHosts: string, aliases: HostAlias[]): string {
  return '# Kubernetes-managed hosts file (host network).\n' + nodeHosts + hostAliasEntries(aliases)
}

function hostAliasEntries(aliases: HostAlias[]): string {
  if (aliases.length === 0) return ''
  return '\n# Entries added by HostAliases.\n' + aliases.map((alias) => `${alias.ip}\t${(alias.hostnames ?? []).join('\t')}\n`).join('')
}

export interface EtcFiles {
  hostname: string
  hosts: string
  resolvConf: string
}

/** Write the pod's files under dir; resolv.conf from the host's and the pod's DNS settings (resolv-conf.ts). */
export function writeEtcFiles(dir: string, input: {
  /** the kernel hostname, for /etc/hostname (the FQDN under setHostnameAsFQDN) */
  hostname: string
  /** the short hostname /etc/hosts names beside the FQDN (kubelet's: the kernel one may be the FQDN) */
  hostsName?: string
  fqdn: string | null
  aliases: HostAlias[]
  dnsPolicy: DNSPolicy
  dnsConfig: PodDNSConfig | undefined
  /** the pod is in the host's network namespace: it gets the host's own hosts file */
  hostNetwork: boolean
}): EtcFiles {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
  writeFileSync(files.hostname, `${input.hostname}\n`, { mode: 0o644 })
  const nodeHosts = input.hostNetwork ? readIfPresent('/etc/hosts') : undefined
  const hosts = nodeHosts === undefined
    ? hostsFileContent(input.hostsName ?? input.hostname, input.fqdn, input.aliases)
    : hostNetworkHostsContent(nodeHosts, input.aliases)
  writeFileSync(files.hosts, hosts, { mode: 0o644 })
  // a host without a resolver configuration: the pod gets an empty one
  const resolv = readIfPresent('/etc/resolv.conf') ?? ''
  writeFileSync(files.resolvConf, resolvConfContent(resolv, input.dnsPolicy, input.dnsConfig), { mode: 0o644 })
  return files
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
