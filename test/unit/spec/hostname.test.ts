import t from 'tap';
import { kernelHostname, podFqdn, podHostname } from '../../../src/spec/hostname';

t.test('podHostname', async (t) => {
  t.equal(podHostname({ metadata: { name: 'web' }, spec: {} }), 'web');
  t.equal(podHostname({ metadata: { name: 'web' }, spec: { hostname: 'box' } }), 'box');
  t.equal(podHostname({ metadata: { name: 'web' }, spec: { hostname: '' } }), 'web');
  t.equal(podHostname({ metadata: { name: 'a'.repeat(63) }, spec: {} }), 'a'.repeat(63));
  t.equal(podHostname({ metadata: { name: 'a'.repeat(70) }, spec: {} }), 'a'.repeat(63));
  t.equal(podHostname({ metadata: { name: `${'a'.repeat(60)}-.-xyz` }, spec: {} }), 'a'.repeat(60), 'trailing - and . trimmed');
});

t.test('podFqdn', async (t) => {
  t.equal(podFqdn({ metadata: { name: 'web' }, spec: {} }), null);
  t.equal(podFqdn({ metadata: { name: 'web', namespace: 'ns' }, spec: { hostname: 'h', subdomain: 's' } }), 'h.s.ns.svc.cluster.local');
  t.equal(podFqdn({ metadata: { name: 'web' }, spec: { subdomain: 's' } }, 'example'), 'web.s.default.svc.example');
});

t.test('kernelHostname: the FQDN under setHostnameAsFQDN when there is one, at most 64 characters', async (t) => {
  t.equal(kernelHostname({ metadata: { name: 'web' }, spec: { subdomain: 's' } }), 'web', 'not asked');
  t.equal(kernelHostname({ metadata: { name: 'web' }, spec: { setHostnameAsFQDN: true } }), 'web', 'no subdomain: no FQDN');
  t.equal(kernelHostname({ metadata: { name: 'web', namespace: 'ns' }, spec: { subdomain: 's', setHostnameAsFQDN: true } }), 'web.s.ns.svc.cluster.local');
  const name = 'a'.repeat(34); // + '.s.default.svc.cluster.local' (28) = 62, 64 with 2 more
  t.equal(kernelHostname({ metadata: { name: `${name}bc` }, spec: { subdomain: 's', setHostnameAsFQDN: true } }).length, 64);
  t.throws(() => kernelHostname({ metadata: { name: `${name}bcd` }, spec: { subdomain: 's', setHostnameAsFQDN: true } }), {
    message: `failed to construct FQDN from pod hostname and cluster domain, FQDN ${name}bcd.s.default.svc.cluster.local is too long (64 characters is the max, 65 characters requested)`,
  });
});
