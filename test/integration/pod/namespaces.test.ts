// Which namespaces a pod's containers share, seen from inside: each payload
// prints `readlink /proc/self/ns/*` and hostname, the test compares them with
// each other and with its own (the host's).

import t, { type Test } from 'tap'
import { hostname } from 'node:os'
import { readFileSync } from 'node:fs'
import { containerLines, keyValues, ownNamespace, podEnv, podManifest, shContainer, type Json } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const NAMESPACES = ['net', 'ipc', 'uts', 'pid', 'mnt']
// each container stays up a moment after printing, so both are alive together: the kernel may
// reuse a namespace's inode number once its namespace is gone, which would fake a "shared" one
const PRINT_NS = `for n in ${NAMESPACES.join(' ')}; do echo "$n=$(readlink /proc/self/ns/$n)"; done; echo "hostname=$(hostname)"; sleep 1`
const host = new Map(NAMESPACES.map((n) => [n, ownNamespace(n)]))

/** Run a two-container pod printing its namespaces; returns what each container saw. */
async function namespacesOf(t: Test, name: string, spec: Json = {}): Promise<Map<string, string>[]> {
  const env = podEnv(t)
  const r = await env.run(podManifest(name, [shContainer('a', PRINT_NS), shContainer('b', PRINT_NS)], spec))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = ['a', 'b'].map((c) => keyValues(containerLines(r.stdout, c)))
  for (const [i, s] of seen.entries()) t.equal(s.size, NAMESPACES.length + 1, `container ${'ab'[i]} printed every namespace`, { stdout: r.stdout })
  return seen
}

t.test('containers share NET/IPC/UTS/PID, not the host\'s, and have their own mount namespace', async (t) => {
  const [a, b] = await namespacesOf(t, 'shared')
  for (const ns of ['net', 'ipc', 'uts', 'pid']) {
    t.equal(a.get(ns), b.get(ns), `${ns} namespace is the same in both containers`)
    t.not(a.get(ns), host.get(ns), `${ns} namespace differs from the host's`)
  }
  t.not(a.get('mnt'), b.get('mnt'), 'each container has its own mount namespace')
  t.not(a.get('mnt'), host.get('mnt'), 'mount namespace differs from the host\'s')
  t.equal(a.get('hostname'), 'shared', 'hostname is the pod name')
})

t.test('PID 1 of the pod is pause, with the plain command line it has in Kubernetes', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('pid-one', [shContainer('a', 'echo "comm=$(cat /proc/1/comm)"; echo "cmdline=$(tr \'\\0\' \' \' < /proc/1/cmdline)"')]))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'a'))
  t.equal(seen.get('comm'), 'pause')
  t.equal(seen.get('cmdline'), '/pause ', 'no host path on it (pause unmounts the pod\'s /dev/shm through an fd)')
})

t.test('shareProcessNamespace: false gives each container its own PID namespace', async (t) => {
  const [a, b] = await namespacesOf(t, 'unshared', { shareProcessNamespace: false })
  t.not(a.get('pid'), b.get('pid'), 'PID namespaces differ between containers')
  t.not(a.get('pid'), host.get('pid'), 'and from the host\'s')
  for (const ns of ['net', 'ipc', 'uts']) t.equal(a.get(ns), b.get(ns), `${ns} namespace is still shared`)
})

t.test('hostNetwork: true joins the host\'s network namespace and hostname', async (t) => {
  const [a, b] = await namespacesOf(t, 'hostnet', { hostNetwork: true })
  t.equal(a.get('net'), host.get('net'), 'net namespace is the host\'s')
  t.equal(b.get('net'), host.get('net'), 'in both containers')
  t.equal(a.get('hostname'), hostname(), 'hostname is the host\'s')
  t.not(a.get('ipc'), host.get('ipc'), 'IPC stays the pod\'s own')
  t.not(a.get('pid'), host.get('pid'), 'PID stays the pod\'s own')
})

t.test('hostIPC: true joins the host\'s IPC namespace only', async (t) => {
  const [a, b] = await namespacesOf(t, 'hostipc', { hostIPC: true })
  t.equal(a.get('ipc'), host.get('ipc'), 'ipc namespace is the host\'s')
  t.equal(b.get('ipc'), host.get('ipc'), 'in both containers')
  t.not(a.get('net'), host.get('net'), 'net stays the pod\'s own')
  t.equal(a.get('hostname'), 'hostipc', 'hostname is the pod name')
})

t.test('hostPID: true joins the host\'s PID namespace only', async (t) => {
  const [a, b] = await namespacesOf(t, 'hostpid', { hostPID: true })
  t.equal(a.get('pid'), host.get('pid'), 'pid namespace is the host\'s')
  t.equal(b.get('pid'), host.get('pid'), 'in both containers')
  t.not(a.get('net'), host.get('net'), 'net stays the pod\'s own')
  t.not(a.get('ipc'), host.get('ipc'), 'IPC stays the pod\'s own')
})

t.test('hostNetwork: /etc/hosts is the host\'s own, under kubelet\'s header, with the hostAliases after it', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('hosts-file', [shContainer('a', 'cat /etc/hosts')], {
    hostNetwork: true, hostAliases: [{ ip: '10.1.2.3', hostnames: ['db', 'db.local'] }],
  }))
  t.equal(r.code, 0, 'podshim run exits 0', { stderr: r.stderr })
  const expected = `# Kubernetes-managed hosts file (host network).\n${readFileSync('/etc/hosts', 'utf8')}\n# Entries added by HostAliases.\n10.1.2.3\tdb\tdb.local\n`
  t.same(containerLines(r.stdout, 'a'), expected.split('\n').slice(0, -1))
})
