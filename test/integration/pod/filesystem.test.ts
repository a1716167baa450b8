// A container's view of its own system, from inside: hostname and the
// /etc files kubelet manages, /proc of the pod's PID namespace (pause is
// PID 1), read-only /sys, and a /dev with only the runtime-spec devices.

import t from 'tap'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** Everything a container's /dev holds (runtime-spec defaults, devpts, the pod's shm, mqueue, fd links). */
const DEV_ALLOWED = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm', 'mqueue', 'fd', 'stdin', 'stdout', 'stderr', 'termination-log']
const DEV_REQUIRED = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue']

const PRINT_VIEW = [
  'echo "hostname=$(hostname)"',
  'echo "etc_hostname=$(cat /etc/hostname)"',
  'echo "hosts=$(grep -v "^#" /etc/hosts | tr "\\t\\n" " |")"',
  'test -f /etc/resolv.conf && echo resolv=present',
  'echo "pid1=$(tr "\\0" " " < /proc/1/cmdline)"',
  'echo "pids=$(ls /proc | grep -cE "^[0-9]+$")"',
  'echo "sys_mount=$(awk "\\$5 == \\"/sys\\" { print \\$6 }" /proc/self/mountinfo)"',
  'touch /sys/podshim-test 2>/dev/null && echo sys_write=ok || echo sys_write=refused',
  'echo "dev=$(ls -A /dev | tr "\\n" " ")"',
  'echo "null_works=$(head -c 4 /dev/zero | wc -c)"',
].join('; ')

t.test('hostname, /etc files, /proc, /sys and /dev as a container sees them', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('viewer', [shContainer('view', PRINT_VIEW)]))
  t.equal(r.code, 0, 'podshim run exits 0', { output: r.stdout + r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'view'))
  t.equal(seen.get('hostname'), 'viewer', 'hostname is the pod name')
  t.equal(seen.get('etc_hostname'), 'viewer', '/etc/hostname holds it')
  t.match(seen.get('hosts'), /127\.0\.0\.1 localhost/, '/etc/hosts has localhost')
  t.match(seen.get('hosts'), /127\.0\.1\.1 viewer\b/, '/etc/hosts resolves the pod name')
  t.equal(seen.get('resolv'), 'present', '/etc/resolv.conf is present')
  t.match(seen.get('pid1'), /pause/, 'PID 1 is pause')
  t.ok(Number(seen.get('pids')) > 0 && Number(seen.get('pids')) < 10, `/proc lists only the pod's few processes (${seen.get('pids')})`)
  t.match(seen.get('sys_mount'), /^ro\b/, '/sys is mounted read-only')
  t.equal(seen.get('sys_write'), 'refused', 'writing to /sys is refused')
  const dev = (seen.get('dev') ?? '').split(' ').filter((e) => e !== '')
  t.same(dev.filter((e) => !DEV_ALLOWED.includes(e)), [], '/dev has nothing else from the host')
  t.same(DEV_REQUIRED.filter((e) => !dev.includes(e)), [], '/dev has every required entry')
  t.equal(seen.get('null_works'), '4', '/dev/zero reads')
})

t.test('spec.hostname and spec.subdomain set the hostname and the FQDN in /etc/hosts', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('named-pod', [shContainer('view', PRINT_VIEW)], { hostname: 'web-0', subdomain: 'web' }))
  t.equal(r.code, 0, 'podshim run exits 0', { output: r.stdout + r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'view'))
  t.equal(seen.get('hostname'), 'web-0', 'hostname is spec.hostname, not the pod name')
  t.match(seen.get('hosts'), /127\.0\.1\.1 web-0\.web\.default\.svc\.cluster\.local web-0\|/, '/etc/hosts has <hostname>.<subdomain>.<namespace>.svc.cluster.local')
})

t.test('setHostnameAsFQDN: the kernel hostname is the FQDN, as kubelet sets it', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('fqdn-pod', [shContainer('view', `${PRINT_VIEW}; echo "env_hostname=$HOSTNAME"`)], { hostname: 'web-0', subdomain: 'web', setHostnameAsFQDN: true }))
  t.equal(r.code, 0, 'podshim run exits 0', { output: r.stdout + r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'view'))
  const fqdn = 'web-0.web.default.svc.cluster.local'
  t.equal(seen.get('hostname'), fqdn, 'uname\'s nodename')
  t.equal(seen.get('etc_hostname'), fqdn, '/etc/hostname')
  t.equal(seen.get('env_hostname'), fqdn, 'HOSTNAME, as containerd sets it')
  t.match(seen.get('hosts'), /127\.0\.1\.1 web-0\.web\.default\.svc\.cluster\.local web-0\|/, '/etc/hosts as without it: the FQDN, then the short name')
})

t.test('dnsPolicy None with dnsConfig: the pod\'s /etc/resolv.conf holds only what dnsConfig says', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('dns', [shContainer('a', 'sed "s/^/conf: /" /etc/resolv.conf')], {
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['192.0.2.53'], searches: ['svc.example', 'example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
  }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.same(containerLines(r.stdout, 'a'), ['conf: nameserver 192.0.2.53', 'conf: search svc.example example', 'conf: options ndots:2 edns0'])
})

t.test('readOnlyRootFilesystem: the whole root is read-only, /tmp and /run of the host view included; a volume stays writable', async (t) => {
  const env = podEnv(t)
  const probe = 'for p in / /tmp /run /var/tmp /data; do if touch "$p/x" 2>/dev/null; then echo "$p=rw"; else echo "$p=ro"; fi; done'
  const r = await env.run(podManifest('ro-root', [shContainer('c', probe, {
    securityContext: { readOnlyRootFilesystem: true },
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  })], { volumes: [{ name: 'data', emptyDir: {} }] }))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'c'))
  t.same(Object.fromEntries(seen), { '/': 'ro', '/tmp': 'ro', '/run': 'ro', '/var/tmp': 'ro', '/data': 'rw' })
})

t.test('a workingDir the root lacks is made, as runc makes it', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('new-cwd', [shContainer('c', 'echo "pwd=$(pwd)"; echo "owner=$(stat -c %u:%a .)"', { workingDir: '/tmp/new/sub' })]))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'c'))
  t.equal(seen.get('pwd'), '/tmp/new/sub')
  t.equal(seen.get('owner'), '0:755', "root's, 0755")
})
