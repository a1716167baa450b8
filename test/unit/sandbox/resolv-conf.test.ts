// The pod's resolv.conf as kubelet writes it: the host's, or nothing for
// dnsPolicy None, with spec.dnsConfig appended.
import t from 'tap'
import { parseResolvConf, resolvConfContent } from '../../../src/sandbox/resolv-conf'

const HOST = '# generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3 ; second\nsearch corp.example\noptions ndots:2 edns0\n'

t.test('without dnsConfig, every policy but None keeps the host\'s file as it is', async (t) => {
  for (const policy of ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default'] as const) t.equal(resolvConfContent(HOST, policy, undefined), HOST)
})

t.test('dnsConfig is appended to the host\'s: servers and searches after, deduplicated; options by name', async (t) => {
  t.equal(resolvConfContent(HOST, 'ClusterFirst', {
    nameservers: ['10.0.0.3', '1.1.1.1', '8.8.8.8'],
    searches: ['corp.example', 'svc.local'],
    options: [{ name: 'ndots', value: '5' }, { name: 'single-request' }],
  }), 'nameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 1.1.1.1\nsearch corp.example svc.local\noptions ndots:5 edns0 single-request\n',
  'at most 3 nameservers, as kubelet writes them')
})

t.test('dnsPolicy None: only dnsConfig', async (t) => {
  t.equal(resolvConfContent(HOST, 'None', { nameservers: ['192.0.2.1'], searches: ['a.example'] }), 'nameserver 192.0.2.1\nsearch a.example\n')
  t.equal(resolvConfContent(HOST, 'None', {}), '')
})

t.test('parsing: comments, a later search line replaces an earlier one, options accumulate', async (t) => {
  t.same(parseResolvConf('search a\nsearch b c\noptions x\noptions y:1\n# nameserver 9.9.9.9\nnameserver 1.2.3.4'), {
    nameservers: ['1.2.3.4'], searches: ['b', 'c'], options: ['x', 'y:1'],
  })
})
