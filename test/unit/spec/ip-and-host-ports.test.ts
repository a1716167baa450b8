import t from 'tap';
import { ipAddressProblem } from '../../../src/spec/ip-address';
import { applyDefaults } from '../../../src/spec/defaults';
import type { Pod } from '../../../src/spec/types';
import { podWith, problemsOf, warningsOf, type Raw } from './fixtures/pods';

const INVALID = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

t.test('IP addresses as strict IsValidIPForLegacyField judges them', async (t) => {
  for (const ok of ['10.0.0.1', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::1', 'FE80:0:0:0:0:0:0:0abc', '::1.2.3.4', '::ffff:1']) {
    t.equal(ipAddressProblem(ok), null, ok);
  }
  // Go's net.ParseIP takes no zone, no brackets, no CIDR
  for (const bad of ['fe80::1%eth0', '[::1]', '10.0.0.0/8', '300.1.1.1', '1.2.3', 'db.local', '', ' 1.2.3.4']) {
    t.equal(ipAddressProblem(bad), INVALID, JSON.stringify(bad));
  }
  // ParseIPSloppy reads these; strict validation refuses them by name
  t.equal(ipAddressProblem('010.1.2.3'), 'must not have leading 0s');
  t.equal(ipAddressProblem('1.2.3.0004'), 'must not have leading 0s');
  t.equal(ipAddressProblem('1.2.3.0256'), INVALID, 'an octet past 255 stays invalid with its zeros dropped');
  t.equal(ipAddressProblem('::ffff:1.2.3.4'), 'must not be an IPv4-mapped IPv6 address');
  t.equal(ipAddressProblem('0:0:0:0:0:FFFF:0102:0304'), 'must not be an IPv4-mapped IPv6 address');
  t.equal(ipAddressProblem('::ffff:01.2.3.4'), 'must not have leading 0s; must not be an IPv4-mapped IPv6 address');
});

t.test('hostAliases and dnsConfig nameservers report them with their paths', async (t) => {
  const pod = podWith((p) => {
    p.spec.hostAliases = [{ ip: 'fe80::1%eth0', hostnames: ['a'] }, { ip: '010.0.0.1', hostnames: ['b'] }];
    p.spec.dnsConfig = { nameservers: ['::ffff:10.0.0.1'] };
  });
  t.same(problemsOf(pod), [
    `spec.dnsConfig.nameservers[0]: must not be an IPv4-mapped IPv6 address (got "::ffff:10.0.0.1")`,
    `spec.hostAliases[0].ip: ${INVALID} (got "fe80::1%eth0")`,
    `spec.hostAliases[1].ip: must not have leading 0s (got "010.0.0.1")`,
  ]);
});

const withPorts = (hostNetwork: boolean, ...ports: Raw[][]) => (p: Raw) => {
  if (hostNetwork) p.spec.hostNetwork = true;
  p.spec.containers = ports.map((list, i) => ({ name: `c${i}`, image: 'busybox', ports: list }));
};

t.test('hostPort: a port number; without hostNetwork a warning that nothing forwards it', async (t) => {
  t.same(problemsOf(podWith(withPorts(false, [{ containerPort: 80, hostPort: 70000 }]))), [
    'spec.containers[0].ports[0].hostPort: must be between 1 and 65535, inclusive (got 70000)',
  ]);
  t.same(problemsOf(podWith(withPorts(false, [{ containerPort: 80, hostPort: '8080' }]))), [
    'spec.containers[0].ports[0].hostPort: must be a 32-bit integer (got string "8080")',
  ]);
  const forwarded = podWith(withPorts(false, [{ containerPort: 80, hostPort: 8080 }]));
  t.same(problemsOf(forwarded), []);
  t.match(warningsOf(forwarded), [/^spec\.containers\[0\]\.ports\[0\]\.hostPort: not implemented by podshim, ignored: nothing forwards/]);
  t.same(warningsOf(podWith(withPorts(false, [{ containerPort: 80, hostPort: 0 }]))), [], '0 is unset');
});

t.test('hostNetwork: hostPort must match containerPort, and is no warning', async (t) => {
  t.same(problemsOf(podWith(withPorts(true, [{ containerPort: 80, hostPort: 8080 }]))), [
    'spec.containers[0].ports[0].containerPort: must match `hostPort` when `hostNetwork` is true (got 80)',
  ]);
  const matching = podWith(withPorts(true, [{ containerPort: 80, hostPort: 80 }, { containerPort: 81 }]));
  t.same(problemsOf(matching), []);
  t.same(warningsOf(matching), []);
  t.same(problemsOf(podWith((p) => {
    p.spec.hostNetwork = true;
    p.spec.initContainers = [{ name: 'side', image: 'busybox', restartPolicy: 'Always', ports: [{ containerPort: 90, hostPort: 91 }] }];
  })), ['spec.initContainers[0].ports[0].containerPort: must match `hostPort` when `hostNetwork` is true (got 90)']);
});

t.test('host ports are unique per hostIP and protocol across the containers', async (t) => {
  t.same(problemsOf(podWith(withPorts(false, [{ containerPort: 80, hostPort: 8080 }], [{ containerPort: 81, hostPort: 8080 }]))), [
    'spec.containers[1].ports[0].hostPort: duplicate value (got "/TCP/8080")',
  ]);
  t.same(problemsOf(podWith(withPorts(false, [{ containerPort: 80, hostPort: 8080 }], [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }]))), []);
  // under hostNetwork the defaulted hostPort collides too: both would bind the host's port 80
  t.same(problemsOf(podWith(withPorts(true, [{ containerPort: 80 }], [{ containerPort: 80 }]))), [
    'spec.containers[1].ports[0].hostPort: duplicate value (got "/TCP/80")',
  ]);
});

t.test('hostNetwork defaults each hostPort to its containerPort (SetDefaults_Pod)', async (t) => {
  const raw = podWith((p) => {
    p.spec.hostNetwork = true;
    p.spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 81, hostPort: 81 }];
    p.spec.initContainers = [{ name: 'side', image: 'busybox', restartPolicy: 'Always', ports: [{ containerPort: 90 }] }];
  });
  const pod = applyDefaults(raw as Pod, { newUid: () => 'u' });
  t.same(pod.spec.containers[0].ports.map((p) => p.hostPort), [80, 81]);
  t.same(pod.spec.initContainers[0].ports.map((p) => p.hostPort), [90]);
  const plain = applyDefaults(podWith((p) => { p.spec.containers[0].ports = [{ containerPort: 80 }]; }) as Pod, { newUid: () => 'u' });
  t.equal(plain.spec.containers[0].ports[0].hostPort, undefined);
});
