// The user, groups, HOME and oom_score_adj a container runs with, seen from
// inside it, against the built-in image (the host's /etc/passwd and
// /etc/group are the image's): a numeric runAsUser takes its gid from
// passwd, the groups /etc/group lists the user in join it (with
// supplementalGroups), HOME is its passwd home, runAsNonRoot refuses as
// kubelet does, and oom_score_adj follows the pod's QoS class.

import t from 'tap'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

// id -G prints the primary gid first: sorted, to compare as a set
const PRINT = 'echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G | tr " " "\\n" | sort -n | tr "\\n" " " | sed "s/ $//")"; echo "home=$HOME"; echo "oom=$(cat /proc/self/oom_score_adj)"'

/** The host's passwd and group files, read here independently of src/ (the checker must not share its bugs). */
const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(':'))
const groupLines = readFileSync('/etc/group', 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(':'))
/** a passwd entry other than root's, with a home, preferring one some /etc/group line lists */
const listed = (name: string): string[] => groupLines.filter((g) => g[0] !== name && (g[3] ?? '').split(',').includes(name)).map((g) => g[2])
const user = passwd.filter((u) => u[2] !== '0' && u[5] !== '').sort((a, b) => listed(b[0]).length - listed(a[0]).length)[0]
const expectedGroups = (name: string, gid: string, extra: string[] = []): string =>
  [...new Set([gid, ...listed(name), ...extra].map(Number))].sort((a, b) => a - b).join(' ')
const FREE_UID = (() => {
  let uid = 54321
  while (passwd.some((u) => Number(u[2]) === uid)) uid++
  return uid
})()

/** CAP_SYS_RESOURCE (bit 24) in this process's effective set: whether podshim can lower an oom_score_adj. */
const canLower = (BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`) & (1n << 24n)) !== 0n
const ownOomScoreAdj = readFileSync('/proc/self/oom_score_adj', 'utf8').trim()

t.test('users, groups and HOME from the image\'s /etc/passwd and /etc/group', async (t) => {
  t.ok(user !== undefined, 'the host has a non-root passwd entry')
  const env = podEnv(t)
  const r = await env.run(podManifest('users', [
    shContainer('root', PRINT),
    shContainer('numeric', PRINT, { securityContext: { runAsUser: Number(user[2]) } }),
    shContainer('unknown', PRINT, { securityContext: { runAsUser: FREE_UID } }),
    shContainer('own-home', PRINT, { securityContext: { runAsUser: Number(user[2]), runAsGroup: 4321 }, env: [{ name: 'HOME', value: '/mine' }] }),
  ], { securityContext: { supplementalGroups: [4444] } }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })

  const root = keyValues(containerLines(r.stdout, 'root'))
  const rootEntry = passwd.find((u) => u[2] === '0')!
  t.equal(root.get('gid'), rootEntry[3])
  t.equal(root.get('groups'), expectedGroups(rootEntry[0], rootEntry[3], ['4444']), 'root: its /etc/group groups and supplementalGroups, not the supervisor\'s')
  t.equal(root.get('home'), rootEntry[5])

  const numeric = keyValues(containerLines(r.stdout, 'numeric'))
  t.equal(numeric.get('uid'), user[2])
  t.equal(numeric.get('gid'), user[3], 'a numeric runAsUser takes the primary gid of its passwd entry')
  t.equal(numeric.get('groups'), expectedGroups(user[0], user[3], ['4444']), 'the groups /etc/group lists it in, and supplementalGroups')
  t.equal(numeric.get('home'), user[5], 'HOME from its passwd entry')

  const unknown = keyValues(containerLines(r.stdout, 'unknown'))
  t.equal(unknown.get('uid'), String(FREE_UID))
  t.equal(unknown.get('gid'), '0', 'a uid without an entry: gid 0')
  t.equal(unknown.get('groups'), '0 4444')
  t.equal(unknown.get('home'), '/', 'and HOME /')

  const own = keyValues(containerLines(r.stdout, 'own-home'))
  t.equal(own.get('gid'), '4321', 'runAsGroup over the passwd entry')
  t.equal(own.get('home'), '/mine', "the container's HOME stays")
})

t.test("runAsNonRoot refusals carry kubelet's messages", async (t) => {
  const env = podEnv(t)
  const r = await env.run({
    ...podManifest('nonroot', [shContainer('zero', 'true', { securityContext: { runAsUser: 0 } })], { securityContext: { runAsNonRoot: true } }),
    metadata: { name: 'nonroot', namespace: 'ns1', uid: 'uid-1' },
  })
  t.not(r.code, 0, 'the pod fails')
  t.match(r.stdout + r.stderr, 'container\'s runAsUser breaks non-root policy (pod: "nonroot_ns1(uid-1)", container: zero)')
})

t.test("each container's oom_score_adj by the pod's QoS class", async (t) => {
  const env = podEnv(t)
  const best = await env.run(podManifest('best-effort', [shContainer('c', PRINT)]))
  t.equal(best.code, 0, 'the pod ran', { stderr: best.stderr })
  t.equal(keyValues(containerLines(best.stdout, 'c')).get('oom'), '1000', 'BestEffort: 1000 (raising needs no capability)')
  // containerd gives a process exec'd into the container (a hook, an exec probe) the container's value too
  const hooked = await env.run(podManifest('hooked', [shContainer('c', 'while [ ! -s /tmp/hook-oom ]; do sleep 0.05; done; echo "hook=$(cat /tmp/hook-oom)"', {
    lifecycle: { postStart: { exec: { command: ['sh', '-c', 'cat /proc/self/oom_score_adj > /tmp/hook-oom'] } } },
  })]))
  t.equal(hooked.code, 0, 'the pod ran', { stderr: hooked.stderr })
  t.equal(keyValues(containerLines(hooked.stdout, 'c')).get('hook'), '1000', 'a postStart exec hook runs with the container\'s oom_score_adj')

  const guaranteed = await env.run(podManifest('guaranteed', [shContainer('c', PRINT, { resources: { limits: { cpu: '100m', memory: '64Mi' } } })]))
  t.equal(guaranteed.code, 0, 'the pod ran', { stderr: guaranteed.stderr })
  const oom = keyValues(containerLines(guaranteed.stdout, 'c')).get('oom')
  const warning = /OOMScoreAdjNotSet +spec\.containers\{c\}: container keeps its inherited oom_score_adj: lowering it to -997 needs CAP_SYS_RESOURCE/
  if (canLower) {
    t.equal(oom, '-997', 'Guaranteed: -997')
    t.notMatch(guaranteed.stdout + guaranteed.stderr, warning)
  } else {
    t.equal(oom, ownOomScoreAdj, 'Guaranteed without CAP_SYS_RESOURCE: the inherited value')
    t.equal((guaranteed.stdout + guaranteed.stderr).split('\n').filter((l) => warning.test(l)).length, 1, 'and one warning event says why')
  }
})

t.test('fsGroup: a supplementary group of every container, and the group (setgid) of every emptyDir; hostPath untouched', async (t) => {
  const env = podEnv(t)
  const host = join(env.dir, 'host-dir')
  mkdirSync(host)
  const script = 'echo "groups=$(id -G)"; echo "dir=$(stat -c "%g %a" /data)"; touch /data/made; echo "file=$(stat -c %g /data/made)"; echo "host=$(stat -c %g /host)"; ' +
    'echo "sub=$(stat -c "%g %a" /sub)"; if touch /sub/x 2>/dev/null; then echo sub_write=ok; else echo sub_write=refused; fi'
  const r = await env.run(podManifest('fs-group', [shContainer('c', script, {
    securityContext: { runAsUser: FREE_UID, runAsGroup: 4321 },
    env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'host', mountPath: '/host' }, { name: 'data', mountPath: '/sub', subPathExpr: 'logs/$(POD)' }],
  })], {
    securityContext: { fsGroup: 2345, fsGroupChangePolicy: 'OnRootMismatch' },
    volumes: [{ name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: host, type: 'Directory' } }],
  }))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const seen = keyValues(containerLines(r.stdout, 'c'))
  t.ok(seen.get('groups')?.split(' ').includes('2345'), `the fsGroup is among the groups (${seen.get('groups')})`)
  t.equal(seen.get('dir'), '2345 2777', 'the emptyDir: group fsGroup, setgid, group-writable')
  t.equal(seen.get('file'), '2345', 'a file made in it takes that group')
  t.equal(seen.get('host'), '0', 'a hostPath volume keeps its group')
  t.equal(seen.get('sub'), '2345 2777', 'a directory made for a subPath takes the volume\'s mode (kubelet\'s doSafeMakeDir) and group')
  t.equal(seen.get('sub_write'), 'ok', 'so a non-root container writes in it')
  t.equal(statSync(host).gid, 0)
})
