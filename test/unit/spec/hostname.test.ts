import t from 'tap';
import { podFqdn, podHostname } from '../../../src/spec/hostname';

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
