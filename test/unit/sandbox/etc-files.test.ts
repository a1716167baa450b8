import t from 'tap'

import { hostNetworkHostsContent, hostsFileContent } from '../../../src/sandbox/etc-files'

const aliases = [{ ip: '10.0.0.1', hostnames: ['db', 'db.local'] }, { ip: '::1', hostnames: ['six'] }]

t.test('a pod network namespace: kubelet\'s managed file, the pod\'s name on 127.0.1.1, the aliases after it', async (t) => {
  t.equal(hostsFileContent('web', 'web.svc.default.svc.cluster.local', aliases), [
    '# Kubernetes-managed hosts file (podshim).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    '127.0.1.1\tweb.svc.default.svc.cluster.local\tweb',
    '',
    '# Entries added by HostAliases.',
    '10.0.0.1\tdb\tdb.local',
    '::1\tsix',
    '',
  ].join('\n'))
  t.match(hostsFileContent('web', null, []), /\n127\.0\.1\.1\tweb\n$/, 'no aliases: no alias block')
})

t.test('hostNetwork: the node\'s hosts file under kubelet\'s header, the aliases after it', async (t) => {
  const node = '127.0.0.1\tlocalhost\n192.0.2.5\tnode1\n'
  t.equal(hostNetworkHostsContent(node, aliases), '# Kubernetes-managed hosts file (host network).\n' + node +
    '\n# Entries added by HostAliases.\n10.0.0.1\tdb\tdb.local\n::1\tsix\n')
  t.equal(hostNetworkHostsContent(node, []), '# Kubernetes-managed hosts file (host network).\n' + node)
})
