// Capabilities from inside the containers: containerd's default bounding
// set (its MKNOD makes nodes the device cgroup filter refuses), securityContext
// capabilities add/drop, no_new_privs from allowPrivilegeEscalation: false,
// nothing inheritable or ambient, none effective for another user, and the
// same set for a process exec'd into the container (a postStart hook). A
// privileged container, next to a plain one.

import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { containerCapabilities } from '../../../src/sandbox/capability-sets'
import { DEFAULT_DEVICES } from '../../../src/sandbox/default-mounts'
import { hostDevices } from '../../../src/sandbox/host-devices'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const STATUS = 'for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs; do echo "$f=$(grep "^$f:" /proc/self/status | cut -f2)"; done'
const hex = (mask: number): string => mask.toString(16).padStart(16, '0')
/** open /dev/made-kmsg for writing: prints open=yes, or open=<the error, as the shell words it> */
const OPEN_KMSG = 'if err=$( (: > /dev/made-kmsg) 2>&1); then echo open=yes; else echo "open=${err##*: }"; fi'

t.test('the capabilities each container keeps', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('caps', [
    shContainer('root', `${STATUS}; if mount -o remount,rw /ro 2>/dev/null; then echo remount=yes; else echo remount=refused; fi; ` +
      // kmsg (c 1:11): every kernel has it, no default rule allows it, and opening it for writing needs no
      // capability. In /dev: /tmp is nodev, which would refuse the open whatever the device cgroup says
      `if mknod /dev/made-kmsg c 1 11 2>/dev/null; then echo mknod=yes; else echo mknod=refused; fi; ${OPEN_KMSG}; ` +
      'if head -c0 /dev/zero; then echo zero=yes; fi', {
      volumeMounts: [{ name: 'v', mountPath: '/ro', readOnly: true }],
    }),
    shContainer('user', STATUS, {
      securityContext: { runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['cap_kill'] } },
    }),
    // the hook's file appears whole (mv), so the main process never reads it half written
    shContainer('hooked', `while [ ! -e /tmp/hook ]; do sleep 0.05; done; cat /tmp/hook; ${STATUS}`, {
      securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'grep "^CapBnd:" /proc/self/status | cut -f2 | sed "s/^/hook=/" > /tmp/hook.part && mv /tmp/hook.part /tmp/hook'] } } },
    }),
  ], { volumes: [{ name: 'v', emptyDir: {} }] }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })

  const root = keyValues(containerLines(r.stdout, 'root'))
  const defaults = hex(containerCapabilities(undefined, true))
  t.equal(root.get('CapBnd'), defaults, 'root: containerd\'s default bounding set')
  t.equal(root.get('CapEff'), defaults, 'root: all of it effective')
  t.equal(root.get('CapInh'), hex(0), 'nothing inheritable')
  t.equal(root.get('CapAmb'), hex(0), 'nothing ambient')
  t.equal(root.get('NoNewPrivs'), '0', 'privilege escalation allowed by default, as in Kubernetes')
  t.equal(root.get('remount'), 'refused', 'a readOnly volume cannot be remounted read-write')
  t.equal(root.get('mknod'), 'yes', 'MKNOD makes a device node')
  t.equal(root.get('open'), 'Operation not permitted', 'which the device cgroup does not let it open (EPERM)')
  t.equal(root.get('zero'), 'yes', 'the default devices it does')

  const user = keyValues(containerLines(r.stdout, 'user'))
  t.equal(user.get('CapBnd'), hex(containerCapabilities({ add: ['NET_ADMIN'], drop: ['cap_kill'] }, true)), 'add and drop applied')
  t.equal(user.get('CapEff'), hex(0), 'another user has none effective')
  t.equal(user.get('CapPrm'), hex(0))
  t.equal(user.get('NoNewPrivs'), '1', 'allowPrivilegeEscalation: false sets no_new_privs')

  const hooked = keyValues(containerLines(r.stdout, 'hooked'))
  const own = hex(containerCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, true))
  t.equal(hooked.get('CapBnd'), own, 'drop ALL, add one')
  t.equal(hooked.get('hook'), own, 'the postStart hook runs with the container\'s set')
})

t.test('a privileged container: every capability, the host\'s device nodes, /sys read-write, nothing masked', async (t) => {
  // every capability the supervisor has: this machine's root lacks SYS_RESOURCE, and nobody can give more
  const all = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  // a host device beyond the default ones, in a subdirectory where the host has one (net/tun, cpu/0/cpuid, …)
  const devices = hostDevices()
  const extra = devices.find((d) => d.name.includes('/')) ?? devices.find((d) => !DEFAULT_DEVICES.includes(d.name))
  if (extra === undefined) throw new Error('this host has no device beyond the defaults')
  const DEVICE = `echo "dev=$(stat -c '%F %t:%T %a %u:%g' /dev/${extra.name})"; ` +
    'echo "sys=$(awk \'$2 == "/sys" { split($4, o, ","); print o[1] }\' /proc/mounts)"; ' +
    'echo "kcore=$(awk \'$2 == "/proc/kcore" { print "masked" }\' /proc/mounts)"; ' +
    `mknod /dev/made-kmsg c 1 11; ${OPEN_KMSG}`
  const env = podEnv(t)
  const r = await env.run(podManifest('privileged', [
    shContainer('priv', `${STATUS}; ${DEVICE}`, { securityContext: { privileged: true } }),
    shContainer('plain', `${STATUS}; ${DEVICE} 2>/dev/null`),
  ]))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.notMatch(r.stderr, /warning.*privileged/, 'no warning: privileged is implemented')
  const priv = keyValues(containerLines(r.stdout, 'priv'))
  t.equal(priv.get('CapBnd'), all, 'every capability in the bounding set')
  t.equal(priv.get('CapEff'), all, 'and effective')
  const type = (extra.mode & 0o170000) === 0o20000 ? 'character special file' : 'block special file'
  t.equal(priv.get('dev'), `${type} ${extra.major.toString(16)}:${extra.minor.toString(16)} ${(extra.mode & 0o7777).toString(8)} ${extra.uid}:${extra.gid}`,
    `/dev/${extra.name} as the host has it`)
  t.equal(priv.get('sys'), 'rw', '/sys is read-write')
  t.equal(priv.get('kcore'), '', '/proc/kcore is not masked')
  t.equal(priv.get('open'), 'yes', 'no device cgroup filter: a node it makes opens')
  const plain = keyValues(containerLines(r.stdout, 'plain'))
  t.equal(plain.get('CapBnd'), hex(containerCapabilities(undefined, true)), 'its neighbour keeps the default set')
  t.equal(plain.get('dev'), '', `and has no /dev/${extra.name}`)
  t.equal(plain.get('sys'), 'ro')
  t.equal(plain.get('kcore'), existsSync('/proc/kcore') ? 'masked' : '')
  t.equal(plain.get('open'), 'Operation not permitted', 'the device cgroup refuses it (EPERM)')
})
