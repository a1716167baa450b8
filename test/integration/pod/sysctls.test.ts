// Pod sysctls, seen from inside the pod and from the host: kubelet's safe
// ones are written in the pod's own network and IPC namespaces (the host's
// values stay), an unsafe one is rejected (SysctlForbidden) unless
// --allowed-unsafe-sysctls names it, and nothing is left of a rejected pod.

import t from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const read = (path: string): string => readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ')
const PRINT = 'echo "ports=$(cat /proc/sys/net/ipv4/ip_local_port_range | tr -s "\\t " " ")"; echo "rmid=$(cat /proc/sys/kernel/shm_rmid_forced)"; echo "msgmax=$(cat /proc/sys/kernel/msgmax)"'

t.test('safe sysctls are set in the pod\'s namespaces, not the host\'s', async (t) => {
  const hostPorts = read('/proc/sys/net/ipv4/ip_local_port_range')
  const hostRmid = read('/proc/sys/kernel/shm_rmid_forced')
  const ports = hostPorts === '20000 30000' ? '20001 30001' : '20000 30000'
  const rmid = hostRmid === '1' ? '0' : '1'
  const env = podEnv(t)
  const r = await env.run(podManifest('sysctls', [shContainer('view', PRINT)], {
    securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: ports }, { name: 'kernel/shm_rmid_forced', value: rmid }] },
  }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'view'))
  t.equal(seen.get('ports'), ports, 'net.ipv4.ip_local_port_range in the pod\'s network namespace')
  t.equal(seen.get('rmid'), rmid, 'kernel.shm_rmid_forced in its IPC namespace')
  t.equal(read('/proc/sys/net/ipv4/ip_local_port_range'), hostPorts, 'the host\'s value is as it was')
  t.equal(read('/proc/sys/kernel/shm_rmid_forced'), hostRmid)
})

t.test('an unsafe sysctl is rejected as kubelet rejects the pod, and leaves nothing', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('unsafe', [shContainer('view', PRINT)], { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '16384' }] } }))
  t.equal(r.code, 1)
  t.match(r.stderr, 'podshim: pod "unsafe" rejected (SysctlForbidden): spec.securityContext.sysctls[0].name: forbidden sysctl: "kernel.msgmax" not allowlisted')
  t.same(containerLines(r.stdout, 'view'), [], 'nothing ran')
  t.notOk(existsSync(join(env.stateRoot, 'pods')) && readdirSync(join(env.stateRoot, 'pods')).length > 0, 'no pod state made')
})

t.test('--allowed-unsafe-sysctls lets a namespaced one through', async (t) => {
  const hostMsgmax = read('/proc/sys/kernel/msgmax')
  const value = hostMsgmax === '16384' ? '16385' : '16384'
  const env = podEnv(t)
  const r = await env.run(podManifest('unsafe-allowed', [shContainer('view', PRINT)], { securityContext: { sysctls: [{ name: 'kernel.msgmax', value }] } }), { args: ['--allowed-unsafe-sysctls', 'kernel.msg*'] })
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.equal(keyValues(containerLines(r.stdout, 'view')).get('msgmax'), value)
  t.equal(read('/proc/sys/kernel/msgmax'), hostMsgmax, 'the host\'s value is as it was')
})

t.test('--allowed-unsafe-sysctls refuses a sysctl that is not namespaced', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('not-namespaced', [shContainer('view', 'true')]), { args: ['--allowed-unsafe-sysctls', 'vm.swappiness'] })
  t.equal(r.code, 2, 'a usage error')
  t.match(r.stderr, /option '--allowed-unsafe-sysctls <names>' argument 'vm\.swappiness' is invalid\. the sysctls "vm\.swappiness" are not known to be namespaced/)
})
