// The pod's /etc/resolv.conf, as kubelet makes it (pkg/kubelet/network/dns):
// a pod without a cluster DNS gets the host's resolver configuration
// (ClusterFirst falls back to Default when no clusterDNS is configured, as
// kubelet's does), dnsPolicy None starts from nothing, and spec.dnsConfig is
// appended: its nameservers and searches after the base ones (duplicates
// dropped), its options over the base ones of the same name. Pure.
import type { DNSPolicy, PodDNSConfig } from '../spec/types'

/** kubelet's limits when it writes the file: it drops what is over them */
const MAX_NAMESERVERS = 3
const MAX_SEARCHES = 32

interface ResolverConfig {
  nameservers: string[]
  searches: string[]
  options: string[]
}

/** nameserver, search and options lines of a resolv.conf (resolv.conf(5); a later search line replaces an earlier one). */
export function parseResolvConf(text: string): ResolverConfig {
  const config: ResolverConfig = { nameservers: [], searches: [], options: [] }
  for (const line of text.split('\n')) {
    const fields = line.replace(/[#;].*/, '').trim().split(/\s+/)
    if (fields[0] === 'nameserver' && fields[1] !== undefined) config.nameservers.push(fields[1])
    else if (fields[0] === 'search') config.searches = fields.slice(1)
    else if (fields[0] === 'options') config.options.push(...fields.slice(1))
  }
  return config
}

const dedupe = (items: string[]): string[] => [...new Set(items)]
const optionName = (option: string): string => option.split(':')[0]

/** The pod's resolv.conf text from the host's. */
export function resolvConfContent(hostText: string, policy: DNSPolicy, dnsConfig: PodDNSConfig | undefined): string {
  if (policy !== 'None' && dnsConfig === undefined) return hostText
  const base = policy === 'None' ? { nameservers: [], searches: [], options: [] } : parseResolvConf(hostText)
  const options = new Map(base.options.map((o) => [optionName(o), o]))
  for (const { name, value } of dnsConfig?.options ?? []) options.set(name, value === undefined ? name : `${name}:${value}`)
  const nameservers = dedupe([...base.nameservers, ...(dnsConfig?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS)
  const searches = dedupe([...base.searches, ...(dnsConfig?.searches ?? [])]).slice(0, MAX_SEARCHES)
  const lines = nameservers.map((ns) => `nameserver ${ns}`)
  if (searches.length > 0) lines.push(`search ${searches.join(' ')}`)
  if (options.size > 0) lines.push(`options ${[...options.values()].join(' ')}`)
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}
