// Capabilities from inside the containers: containerd's default bounding
// set (without MKNOD: podshim has no device cgroup), securityContext
// capabilities add/drop, no_new_privs from allowPrivilegeEscalation: false,
// nothing inheritable or ambient, none effective for another user, and the
// same set for a process exec'd into the container (a postStart hook).

import t from 'tap'
import { containerCapabilities } from '../../../src/sandbox/capability-sets'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const STATUS = 'for f in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs; do echo "$f=$(grep "^$f:" /proc/self/status | cut -f2)"; done'
const hex = (mask: number): string => mask.toString(16).padStart(16, '0')

t.test('the capabilities each container keeps', async (t) => {
  const env = podEnv(t)
  const r = await env.run(podManifest('caps', [
    shContainer('root', `${STATUS}; if mount -o remount,rw /ro 2>/dev/null; then echo remount=yes; else echo remount=refused; fi; ` +
      'if mknod /tmp/disk b 8 0 2>/dev/null; then echo mknod=yes; else echo mknod=refused; fi', {
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
  const defaults = hex(containerCapabilities(undefined))
  t.equal(root.get('CapBnd'), defaults, 'root: containerd\'s default bounding set, without MKNOD')
  t.equal(root.get('CapEff'), defaults, 'root: all of it effective')
  t.equal(root.get('CapInh'), hex(0), 'nothing inheritable')
  t.equal(root.get('CapAmb'), hex(0), 'nothing ambient')
  t.equal(root.get('NoNewPrivs'), '0', 'privilege escalation allowed by default, as in Kubernetes')
  t.equal(root.get('remount'), 'refused', 'a readOnly volume cannot be remounted read-write')
  t.equal(root.get('mknod'), 'refused', 'no device nodes')

  const user = keyValues(containerLines(r.stdout, 'user'))
  t.equal(user.get('CapBnd'), hex(containerCapabilities({ add: ['NET_ADMIN'], drop: ['cap_kill'] })), 'add and drop applied')
  t.equal(user.get('CapEff'), hex(0), 'another user has none effective')
  t.equal(user.get('CapPrm'), hex(0))
  t.equal(user.get('NoNewPrivs'), '1', 'allowPrivilegeEscalation: false sets no_new_privs')

  const hooked = keyValues(containerLines(r.stdout, 'hooked'))
  const own = hex(containerCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }))
  t.equal(hooked.get('CapBnd'), own, 'drop ALL, add one')
  t.equal(hooked.get('hook'), own, 'the postStart hook runs with the container\'s set')
})
