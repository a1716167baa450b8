// The pod's /etc/hostname, /etc/hosts and /etc/resolv.conf, written once per
// pod and bind-mounted into every container, as kubelet manages them.
// The pod has no cluster network, so its own name resolves on loopback
// (127.0.1.1, as Debian does for a host without a fixed address).
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
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.')
    for (const alias of aliases) lines.push(`${alias.ip}\t${(alias.hostnames ?? []).join('\t')}`)
  }
  return lines.join('\n') + '\n'
}

export interface EtcFiles {
  hostname: string
  hosts: string
  resolvConf: string
}

/** Write the pod's files under dir; resolv.conf from the host's and the pod's DNS settings (resolv-conf.ts). */
export function writeEtcFiles(dir: string, input: {
  hostname: string
  fqdn: string | null
  aliases: HostAlias[]
  dnsPolicy: DNSPolicy
  dnsConfig: PodDNSConfig | undefined
}): EtcFiles {
  const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
  writeFileSync(files.hostname, `${input.hostname}\n`, { mode: 0o644 })
  writeFileSync(files.hosts, hostsFileContent(input.hostname, input.fqdn, input.aliases), { mode: 0o644 })
  let resolv = ''
  try {
    resolv = readFileSync('/etc/resolv.conf', 'utf8')
  } catch {
    // a host without a resolver configuration: the pod gets an empty one
  }
  writeFileSync(files.resolvConf, resolvConfContent(resolv, input.dnsPolicy, input.dnsConfig), { mode: 0o644 })
  return files
}
