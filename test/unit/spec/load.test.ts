import t from 'tap';
import { parseManifest, parseManifestObjects, parseManifests } from '../../../src/spec/load';
import { ManifestError } from '../../../src/spec/manifest-error';

const POD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n';

function errorOf(text: string): ManifestError {
  try {
    parseManifest(text, 'pod.yaml');
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

t.test('a single document', async (t) => {
  t.same(parseManifest(POD, 'pod.yaml'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
});

t.test('JSON is YAML', async (t) => {
  t.same(parseManifest('{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}', 'pod.json'), {
    apiVersion: 'v1',
    kind: 'Pod',
    spec: { containers: [] },
  });
});

t.test('a single document of another kind is returned for validation to judge', async (t) => {
  t.same(parseManifest('kind: Service\n', 'x'), { kind: 'Service' });
});

t.test('empty documents are ignored', async (t) => {
  t.same(parseManifest(`---\n# comment\n---\n${POD}---\n`, 'x'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
});

t.test('the Pod among several documents', async (t) => {
  const err = errorOf(`kind: Service\n---\n${POD}---\nkind: ConfigMap\n---\n- a list\n---\nkind: PersistentVolumeClaim\n`);
  t.equal(err.source, 'pod.yaml');
  t.same(err.problems.map((p) => p.message), [
    'unexpected document 1: has kind "Service": podshim runs a Pod, and beside it the manifest may hold only ConfigMaps and Secrets',
    'unexpected document 4: has no kind: podshim runs a Pod, and beside it the manifest may hold only ConfigMaps and Secrets',
    'unexpected document 5: has kind "PersistentVolumeClaim": podshim runs a Pod, and beside it the manifest may hold only ConfigMaps and Secrets',
  ], 'the ConfigMap may be there');
  t.match(err.message, /^invalid pod manifest "pod\.yaml"\n  unexpected document 1: has kind "Service"/);
});

t.test('ConfigMaps and Secrets beside the Pod, in any order, lists too (`cat cm.yaml pod.yaml`)', async (t) => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n';
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n';
  const parsed = parseManifestObjects(`${cm}---\n${POD}---\nkind: List\nitems:\n- ${secret.replace(/\n(?=.)/g, '\n  ')}`, 'x');
  t.same(parsed.pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
  t.same(parsed.objects, [
    { label: 'document 1', value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } } },
    { label: 'document 3 items[0]', value: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } },
  ]);
  t.same(parseManifestObjects(POD, 'x').objects, [], 'a Pod alone');
  t.same(errorOf(`${cm}---\n${secret}`).problems.map((p) => p.message), ['no pod found: none of 2 documents has kind "Pod"']);
  t.same(parseManifestObjects(cm, 'x'), { pod: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, objects: [] }, 'a single ConfigMap goes on to validation as the pod');
});

t.test('two Pods', async (t) => {
  const err = errorOf(`${POD}---\n${POD}`);
  t.same(err.problems.map((p) => p.message), [
    'unexpected document 1: one of 2 Pods, only one is allowed',
    'unexpected document 2: one of 2 Pods, only one is allowed',
  ]);
});

t.test('no Pod', async (t) => {
  t.same(errorOf('kind: A\n---\nkind: B\n').problems[0].message, 'no pod found: none of 2 documents has kind "Pod"');
  t.same(errorOf('').problems.map((p) => p.message), ['no pod found: the manifest is empty']);
  t.same(errorOf('---\n---\n').problems.map((p) => p.message), ['no pod found: the manifest is empty']);
});

t.test('syntax errors name the line', async (t) => {
  const err = errorOf('apiVersion: v1\nkind: Pod\nspec: [a,\nmetadata: x: y\n');
  t.ok(err.problems.length >= 1);
  t.match(err.problems[0].message, /^yaml syntax error at line \d+, column \d+ \(document 1\): /);
  t.match(err.message, /^invalid pod manifest "pod\.yaml"\n  yaml syntax error at line/);
  const dup = errorOf('kind: Pod\nkind: Pod\n');
  t.same(dup.problems.map((p) => p.message), ['yaml syntax error at line 2, column 1 (document 1): Map keys must be unique']);
  t.match(errorOf(`${POD}---\na: [\n`).problems[0].message, /\(document 2\)/);
});

t.test('YAML merge keys work as in kubectl; an alias bomb is a manifest error', async (t) => {
  const merged = parseManifest('kind: Pod\nbase: &b {a: 1, b: 2}\nspec:\n  <<: *b\n  b: 3\n', 'm.yaml') as { spec: unknown };
  t.same(merged.spec, { a: 1, b: 3 });
  let bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 0, prev = 'a'; i < 6; prev = `b${i}`, i++) bomb += `b${i}: &b${i} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
  t.throws(() => parseManifest(bomb, 'bomb.yaml'), { name: 'ManifestError', message: /bomb\.yaml[\s\S]*yaml error \(document 1\): Excessive alias count/ });
});

t.test('a List stands for its items, as kubectl reads it (`kubectl get pods -o yaml` writes one)', async (t) => {
  const list = (items: string): string => `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${items}`;
  const podItem = '- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web\n';
  t.same(parseManifest(list(podItem), 'x'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } }, 'one Pod item');
  t.same(parseManifest(`kind: ServiceList\nitems: []\n---\n${POD}`, 'x'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } }, 'an empty list beside the Pod');
  t.same(errorOf(list(`${podItem}- kind: Service\n${podItem}`)).problems.map((p) => p.message), [
    'unexpected document 1 items[0]: one of 2 Pods, only one is allowed',
    'unexpected document 1 items[1]: has kind "Service": podshim runs a Pod, and beside it the manifest may hold only ConfigMaps and Secrets',
    'unexpected document 1 items[2]: one of 2 Pods, only one is allowed',
  ]);
  t.same(errorOf(`${list('- kind: Service\n')}---\nkind: ConfigMap\n`).problems[0].message, 'no pod found: none of 2 objects has kind "Pod"');
  t.same(parseManifest(list('- kind: Service\n'), 'x'), { kind: 'Service' }, 'a single item of another kind goes on to validation');
  t.same(errorOf('apiVersion: v1\nkind: List\nitems: []\n').problems.map((p) => p.message), ['no pod found: the manifest is empty']);
  t.same(errorOf('kind: List\n').problems.map((p) => p.message), ['no pod found: the manifest is empty'], 'a List without items is empty');
  t.same(errorOf('kind: List\nitems: 5\n').problems.map((p) => p.message), ['document 1: the items of a List must be a list (got number 5)']);
  t.same(parseManifest(list(`- kind: List\n  items:\n  - kind: List\n    items:\n${podItem.replace(/^/gm, '    ')}`), 'x'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } }, 'Lists in Lists, as kubectl\'s FlattenListVisitor');
});

t.test('scalars are read as kubectl reads them (go-yaml v2, YAML 1.1)', async (t) => {
  const doc = parseManifest([
    'bools: [yes, No, ON, off, y, N, true]', 'quoted: ["yes", \'on\']', 'octal: 0644', 'hex: 0x1F', 'binary: 0b101',
    'underscores: 1_000', 'decimal: 08', 'goOctal: 0o17', 'capitals: [0X1f, 0B11, 0O17, -0o10]', 'sexagesimal: 1:30', 'date: 2026-01-01', 'time: 2026-11-20T10:00:00Z', 'n: 1',
  ].join('\n'), 'x');
  t.same(doc, {
    bools: [true, false, true, false, true, false, true], quoted: ['yes', 'on'], octal: 420, hex: 31, binary: 5,
    underscores: 1000, decimal: 8, goOctal: 15, capitals: [31, 3, 15, -8], sexagesimal: '1:30', date: '2026-01-01', time: '2026-11-20T10:00:00Z', false: 1,
  }, 'YAML 1.1 booleans and integers; no base-60 numbers; timestamps stay strings; a key n is false, as sigs.k8s.io/yaml makes it');
});

t.test('several files: one Pod among them all, objects named by file', async (t) => {
  // no `---` between them: each file is parsed on its own
  const objects = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n';
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n';
  const parsed = parseManifests([{ text: objects, source: 'cm.yaml' }, { text: '', source: 'empty.yaml' }, { text: pod, source: 'pod.yaml' }]);
  t.same(parsed.pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } });
  t.same(parsed.objects, [{ label: 'cm.yaml document 1', value: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } } }]);
  t.throws(() => parseManifests([{ text: pod, source: 'a.yaml' }, { text: pod, source: 'b.yaml' }]), {
    name: 'ManifestError',
    message: 'invalid pod manifest "a.yaml, b.yaml"\n  unexpected a.yaml document 1: one of 2 Pods, only one is allowed\n  unexpected b.yaml document 1: one of 2 Pods, only one is allowed',
  });
  t.throws(() => parseManifests([{ text: 'a: [', source: 'a.yaml' }, { text: pod, source: 'b.yaml' }]), { message: /\(a\.yaml document 1\)/ });
  t.throws(() => parseManifests([{ text: '', source: 'a.yaml' }, { text: '---\n', source: 'b.yaml' }]), { message: /no pod found: the manifests are empty/ });
});
