// configMap, secret, downwardAPI and projected volumes from inside the pod:
// the files kubelet's AtomicWriter lays out (`..data` and its links), their
// contents and modes, the downward API's map format, read-only in every
// container whatever readOnly says, a subPath into one, a secret's and a
// projected volume's tmpfs, an fsGroup's ownership, an emptyDir mounted
// below one; a missing object or key stops the pod with kubelet's
// FailedMount text, an optional one is an empty volume. The harness checks
// that nothing (no tmpfs, no file) is left after each run.

import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { containerLines, keyValues, podEnv, podManifest, shContainer, type Json } from './fixtures/helpers'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

/** Print `key=value` lines: each file's content (newlines as \n), mode and group, and the volume's filesystem type. */
const SHOW = [
  'show() { printf "%s=%s\\n" "$1" "$(cat "$2" | sed ":a;N;\\$!ba;s/\\n/\\\\\\\\n/g")"; printf "%s.mode=%s\\n" "$1" "$(stat -L -c %a:%g "$2")"; }',
  'fstype() { printf "%s.fstype=%s\\n" "$1" "$(grep " $1 " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1)"; }',
].join('\n')

/** The ConfigMaps and Secrets the manifests give beside their pod. */
const OBJECTS = `
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  app.conf: "mode=fast\\n"
  greeting: hello
binaryData:
  blob: AAEC/w==
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
data:
  password: aHVudGVyMg==
stringData:
  user: admin
`

/** The objects, then the pod, as one multi-document manifest. */
const withObjects = (pod: Json): string => `${OBJECTS}---\n${JSON.stringify(pod)}\n`

/** A volume's directories under the data root (none must be left after a run). */
function volumeDirs(dataRoot: string): string[] {
  const pods = join(dataRoot, 'pods')
  return existsSync(pods) ? readdirSync(pods) : []
}

t.test('downwardAPI: the pod\'s metadata and resources in AtomicWriter\'s layout, read-only, group-owned with fsGroup', async (t) => {
  const env = podEnv(t)
  const manifest = podManifest('downward-files', [
    shContainer('app', [
      SHOW,
      'show name /pod/name; show labels /pod/labels; show annotations /pod/annotations; show cpu /pod/res/cpu; show tier /pod/tier; show one /one',
      'echo "data=$(readlink /pod/..data)"; echo "res=$(readlink /pod/res)"; echo "entries=$(ls -A /pod | tr "\\n" " ")"',
      'echo "root.mode=$(stat -c %a:%g /pod)"; echo "data.mode=$(stat -L -c %a:%g /pod/..data)"; echo "res.mode=$(stat -L -c %a:%g /pod/res)"',
      'if touch /pod/new 2>/dev/null; then echo write=yes; else echo write=no; fi',
      'echo "nested=$(ls -A /pod/scratch | wc -l)"; echo "scratch-writable=$(touch /pod/scratch/x && echo yes)"',
      'fstype /pod',
    ].join('\n'), {
      resources: { limits: { cpu: '1500m' } },
      volumeMounts: [
        { name: 'pod', mountPath: '/pod', readOnly: false },
        { name: 'scratch', mountPath: '/pod/scratch' },
        { name: 'pod', mountPath: '/one', subPath: 'name' },
      ],
    }),
  ], {
    securityContext: { fsGroup: 4321 },
    volumes: [
      {
        name: 'pod',
        downwardAPI: {
          defaultMode: 0o400,
          items: [
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' }, mode: 0o644 },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            { path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } },
            { path: 'res/cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
          ],
        },
      },
      { name: 'scratch', emptyDir: {} },
    ],
  })
  manifest.metadata = { name: 'downward-files', labels: { tier: 'web', app: 'shop' }, annotations: { 'example.com/note': 'say "hi"\tthen go' } }
  const r = await env.run(manifest)
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  const got = keyValues(containerLines(r.stdout, 'app'))
  t.equal(got.get('name'), 'downward-files')
  t.equal(got.get('labels'), 'app="shop"\\ntier="web"', 'sorted key="value" lines, no newline after the last')
  t.match(got.get('annotations'), /^example\.com\/note="say \\"hi\\"\\tthen go"\\nkubernetes\.io\/config\.seen="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"\\nkubernetes\.io\/config\.source="api"$/,
    'Go %q quoting; and the annotations kubelet adds to its copy of the pod')
  t.equal(got.get('tier'), 'web')
  t.equal(got.get('cpu'), '1500')
  t.equal(got.get('one'), 'downward-files', 'a subPath of the volume is its file')
  t.match(got.get('data'), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/, '..data links to the timestamped directory')
  t.equal(got.get('res'), '..data/res', 'a top-level directory is one link into ..data')
  t.equal(got.get('entries'), `${got.get('data')} ..data annotations labels name res scratch tier `, 'nothing but the layout, and the nested mount point')
  t.equal(got.get('name.mode'), '440:4321', 'defaultMode 0400, group-readable and in the fsGroup')
  t.equal(got.get('labels.mode'), '644:4321', 'the item\'s mode')
  t.equal(got.get('root.mode'), '3777:4321', 'the volume\'s root: the tmpfs of kubelet\'s memory-backed emptyDir (1777), setgid, in the fsGroup')
  t.equal(got.get('/pod.fstype'), 'tmpfs', 'on a tmpfs, as kubelet wraps a downwardAPI volume')
  t.equal(got.get('data.mode'), '2755:4321', 'the timestamped directory: 0755, setgid, in the fsGroup')
  t.equal(got.get('res.mode'), '2755:4321', 'a directory in it too')
  t.equal(got.get('write'), 'no', 'read-only although readOnly is false')
  t.equal(got.get('nested'), '0', 'the emptyDir mounted below it')
  t.equal(got.get('scratch-writable'), 'yes')
  t.same(volumeDirs(env.dataRoot), [], 'the volume\'s files are gone after the run')
})

t.test('configMap, secret and projected volumes from the objects beside the pod', async (t) => {
  const env = podEnv(t)
  const pod = podManifest('config-files', [
    shContainer('app', [
      SHOW,
      'show conf /cfg/app.conf; show greeting /cfg/greeting; echo "blob=$(od -An -tx1 /cfg/blob | tr -d " ")"',
      'show password /sec/password; show user /sec/user',
      'show p-greeting /p/conf/greeting; show p-user /p/user; show p-name /p/name',
      'show only /only/g; echo "only-entries=$(ls -A /only | grep -v "^\\.\\." | tr "\\n" " ")"',
      'echo "optional-entries=$(ls -A /optional | grep -v "^\\.\\." | wc -l)"',
      'fstype /cfg; fstype /sec; fstype /p',
    ].join('\n'), {
      volumeMounts: [
        { name: 'cfg', mountPath: '/cfg' },
        { name: 'sec', mountPath: '/sec' },
        { name: 'p', mountPath: '/p' },
        { name: 'only', mountPath: '/only' },
        { name: 'optional', mountPath: '/optional' },
      ],
    }),
  ], {
    volumes: [
      { name: 'cfg', configMap: { name: 'app-config' } },
      { name: 'sec', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
      {
        name: 'p',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'app-config', items: [{ key: 'greeting', path: 'conf/greeting', mode: 0o600 }] } },
            { secret: { name: 'app-secret', items: [{ key: 'user', path: 'user' }] } },
            { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            { serviceAccountToken: { path: 'token' } },
          ],
        },
      },
      { name: 'only', configMap: { name: 'app-config', items: [{ key: 'greeting', path: 'g' }] } },
      { name: 'optional', secret: { secretName: 'not-given', optional: true } },
    ],
  })
  const r = await env.run(withObjects(pod))
  t.equal(r.code, 0, 'the pod ran', { stderr: r.stderr })
  t.match(r.stderr, /spec\.volumes\[2\]\.projected\.sources\[3\]\.serviceAccountToken: not implemented by podshim/, 'the token is warned about')
  const got = keyValues(containerLines(r.stdout, 'app'))
  t.equal(got.get('conf'), 'mode=fast')
  t.equal(got.get('conf.mode'), '644:0', 'a configMap\'s files default to 0644')
  t.equal(got.get('greeting'), 'hello')
  t.equal(got.get('blob'), '000102ff', 'binaryData as its bytes')
  t.equal(got.get('password'), 'hunter2', 'a secret\'s data decoded')
  t.equal(got.get('password.mode'), '400:0')
  t.equal(got.get('user'), 'admin', 'stringData too')
  t.equal(got.get('p-greeting'), 'hello')
  t.equal(got.get('p-greeting.mode'), '600:0', 'the item\'s mode')
  t.equal(got.get('p-user.mode'), '440:0', 'the projected volume\'s defaultMode')
  t.equal(got.get('p-name'), 'config-files')
  t.equal(got.get('only'), 'hello')
  t.equal(got.get('only-entries'), 'g ', 'items: only the keys listed')
  t.equal(got.get('optional-entries'), '0', 'an optional secret not given: an empty volume')
  t.not(got.get('/cfg.fstype'), 'tmpfs', 'a configMap is on disk, as kubelet keeps it')
  t.equal(got.get('/sec.fstype'), 'tmpfs', 'a secret on a tmpfs')
  t.equal(got.get('/p.fstype'), 'tmpfs', 'a projected volume on a tmpfs')
  t.same(volumeDirs(env.dataRoot), [], 'the volumes\' files are gone after the run')
})

t.test('a missing object or key stops the pod with kubelet\'s FailedMount text, before anything runs', async (t) => {
  const env = podEnv(t)
  const cases: Array<[Json, string]> = [
    [{ configMap: { name: 'nope' } }, 'configmap "nope" not found'],
    [{ secret: { secretName: 'nope' } }, 'secret "nope" not found'],
    [{ configMap: { name: 'app-config', items: [{ key: 'missing', path: 'm' }] } }, 'configmap references non-existent config key: missing'],
    [{ secret: { secretName: 'app-secret', items: [{ key: 'missing', path: 'm' }] } }, 'references non-existent secret key: missing'],
    [{ projected: { sources: [{ configMap: { name: 'nope' } }, { secret: { name: 'gone' } }] } }, '[configmap "nope" not found, secret "gone" not found]'],
    [{ downwardAPI: { items: [{ path: 'c', resourceFieldRef: { containerName: 'other', resource: 'limits.cpu' } }] } }, 'container other not found'],
  ]
  for (const [source, message] of cases) {
    const pod = podManifest('missing', [shContainer('app', 'echo ran', { volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] })], {
      // a secret volume made first must be unmounted again when the next one fails
      volumes: [{ name: 'first', secret: { secretName: 'app-secret' } }, { name: 'cfg', ...source }],
    })
    const r = await env.run(withObjects(pod))
    t.equal(r.code, 1, `${message}: podshim run fails`)
    t.match(r.stderr, `podshim: MountVolume.SetUp failed for volume "cfg" : ${message}\n`, 'kubelet\'s text, naming the volume')
    t.same(containerLines(r.stdout, 'app'), [], 'the container never ran')
    t.notMatch(r.stderr, /^\s+at /m, 'no stack trace')
    t.same(volumeDirs(env.dataRoot), [], 'nothing left')
  }
})
