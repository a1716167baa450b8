import t from 'tap';
import { ManifestError, loadPod } from '../../../src/spec';

type Raw = Record<string, any>;

const POD: Raw = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } };
const configMap = (name: string, extra: Raw = {}): Raw => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, ...extra });
const secret = (name: string, extra: Raw = {}): Raw => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, ...extra });
const b64 = (text: string): string => Buffer.from(text).toString('base64');
/** JSON documents (JSON is YAML), the Pod first unless `pod` says otherwise. */
const manifest = (objects: Raw[], pod: Raw = POD): string => [pod, ...objects].map((o) => JSON.stringify(o)).join('\n---\n');
const load = (objects: Raw[], pod?: Raw) => loadPod(manifest(objects, pod), 'pod.yaml', { newUid: () => 'u' });

function problemsOf(objects: Raw[], pod?: Raw): string[] {
  try {
    load(objects, pod);
  } catch (err) {
    if (err instanceof ManifestError) return err.message.split('\n').slice(1).map((l) => l.trim());
    throw err;
  }
  return [];
}

t.test('ConfigMaps and Secrets beside the pod, by name, their keys as bytes', async (t) => {
  const { objects, warnings } = load([
    configMap('app', { data: { 'log.level': 'debug', greeting: 'héllo' }, binaryData: { blob: b64('\x00\x01') }, immutable: true }),
    secret('db', { data: { user: b64('admin') }, stringData: { password: 's3cret', user: 'root' } }),
    secret('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('CRT'), 'tls.key': b64('KEY') } }),
    configMap('db'),
  ]);
  t.same(warnings, []);
  t.same([...objects.configMaps.keys()], ['app', 'db']);
  const app = objects.configMaps.get('app')!;
  t.match(app, { kind: 'ConfigMap', name: 'app', namespace: 'default' });
  t.same([...app.data].map(([k, v]) => [k, v.toString('hex')]), [['log.level', Buffer.from('debug').toString('hex')], ['greeting', Buffer.from('héllo').toString('hex')], ['blob', '0001']]);
  t.same([...app.binaryKeys!], ['blob']);
  const db = objects.secrets.get('db')!;
  t.match(db, { kind: 'Secret', name: 'db', namespace: 'default', type: 'Opaque' });
  t.same(Object.fromEntries([...db.data].map(([k, v]) => [k, v.toString()])), { user: 'root', password: 's3cret' }, 'stringData merged over data');
  t.equal(objects.secrets.get('tls')!.type, 'kubernetes.io/tls');
  t.equal(objects.configMaps.get('db')!.data.size, 0, 'a ConfigMap and a Secret may share a name');
});

t.test('a pod alone has none', async (t) => {
  const { objects } = loadPod(JSON.stringify(POD), 'pod.yaml', { newUid: () => 'u' });
  t.equal(objects.configMaps.size + objects.secrets.size, 0);
});

t.test('the namespace is the pod\'s', async (t) => {
  const inNs = (o: Raw, namespace?: string): Raw => ({ ...o, metadata: { ...o.metadata, namespace } });
  const pod = inNs(POD, 'dev');
  t.equal(load([inNs(configMap('a'), 'dev')], pod).objects.configMaps.get('a')!.namespace, 'dev');
  t.same(problemsOf([inNs(configMap('a'), 'prod')], pod), [
    'document 2 (ConfigMap "a") metadata.namespace: "prod", not the pod\'s "dev": a pod sees only the ConfigMaps and Secrets of its own namespace',
  ]);
  t.same(problemsOf([secret('s')], pod), [
    'document 2 (Secret "s") metadata.namespace: "default" (none is given: kubectl puts it there), not the pod\'s "dev": a pod sees only the ConfigMaps and Secrets of its own namespace',
  ]);
  t.same(problemsOf([inNs(secret('s'), 'default')]), [], 'a pod without a namespace is in "default"');
});

t.test('two objects of a kind and name', async (t) => {
  t.same(problemsOf([configMap('a'), secret('a'), configMap('a')]), [
    'document 4 (ConfigMap "a"): a second ConfigMap named "a" (the first is document 2): a name is unique among the objects of a kind',
  ]);
});

t.test('metadata as the API server validates it', async (t) => {
  t.same(problemsOf([configMap('App_Config')]), [
    'document 2 (ConfigMap "App_Config") metadata.name: must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, \'-\' or \'.\', starting and ending with an alphanumeric character (e.g. \'example.com\') (got "App_Config")',
  ]);
  t.same(problemsOf([{ apiVersion: 'v1', kind: 'Secret', metadata: {} }]), ['document 2 (Secret) metadata.name: required value']);
  t.same(problemsOf([{ apiVersion: 'v1', kind: 'Secret' }]), ['document 2 (Secret) metadata: required value']);
  t.same(problemsOf([configMap('a', { apiVersion: 'apps/v1' })]), ['document 2 (ConfigMap "a") apiVersion: must be "v1" (got "apps/v1")']);
  t.same(problemsOf([configMap('a', { metadata: { name: 'a', labels: { 'a b': 'x' } } })]).length, 1, 'labels');
});

t.test('unknown fields and wrong types, with their paths, every problem at once', async (t) => {
  t.same(problemsOf([
    configMap('a', { spec: {}, data: { port: 8080 } }),
    secret('b', { strinData: { a: 'b' }, immutable: 'yes' }),
  ]), [
    'document 2 (ConfigMap "a") spec: unknown field',
    'document 2 (ConfigMap "a") data[port]: must be a string (got number 8080): quote the value to keep it text (unquoted, YAML reads 0644 as the octal number 420, as kubectl does)',
    'document 3 (Secret "b") strinData: unknown field',
    'document 3 (Secret "b") immutable: must be a boolean (got string "yes")',
  ]);
  t.same(problemsOf([configMap('a')], { ...POD, spec: {} }), ['spec.containers: required value: a pod needs at least one container'], 'the pod\'s problems with the objects\'');
});

t.test('keys are valid config keys', async (t) => {
  const problems = problemsOf([
    configMap('a', { data: { 'a b': '1', '.': '2', '..x': '3', ['k'.repeat(254)]: '4', '.ok_-1': '5' }, binaryData: { 'x/y': b64('z') } }),
    secret('s', { stringData: { '..': 'x' } }),
  ]);
  t.same(problems, [
    'document 2 (ConfigMap "a") data[a b]: a valid config key must consist of alphanumeric characters, \'-\', \'_\' or \'.\' (e.g. \'key.name\', or \'KEY_NAME\', or \'key-name\', regex used for validation is \'[-._a-zA-Z0-9]+\') (got "a b")',
    'document 2 (ConfigMap "a") data[.]: must not be \'.\' (got ".")',
    'document 2 (ConfigMap "a") data[..x]: must not start with \'..\' (got "..x")',
    `document 2 (ConfigMap "a") data[${'k'.repeat(254)}]: must be no more than 253 characters (got "${'k'.repeat(254)}")`,
    'document 2 (ConfigMap "a") binaryData[x/y]: a valid config key must consist of alphanumeric characters, \'-\', \'_\' or \'.\' (e.g. \'key.name\', or \'KEY_NAME\', or \'key-name\', regex used for validation is \'[-._a-zA-Z0-9]+\') (got "x/y")',
    'document 3 (Secret "s") stringData[..]: must not be \'..\' (got "..")',
  ]);
});

t.test('a ConfigMap key in both data and binaryData', async (t) => {
  t.same(problemsOf([configMap('a', { data: { k: 'x' }, binaryData: { k: b64('y') } })]), ['document 2 (ConfigMap "a") data[k]: duplicate of key present in binaryData (got "k")']);
});

t.test('base64 as Go decodes it', async (t) => {
  t.same(problemsOf([
    secret('s', { data: { a: 'aGVsbG8' } }),
    configMap('c', { binaryData: { b: 'not base64' } }),
  ]), [
    'document 2 (Secret "s") data[a]: illegal base64 data at input byte 4',
    'document 3 (ConfigMap "c") binaryData[b]: illegal base64 data at input byte 3',
  ]);
  t.same(problemsOf([configMap('c', { data: { text: 'not base64' } }), secret('s', { stringData: { t: 'not base64' } })]), [], 'data of a ConfigMap and stringData are text');
});

t.test('at most 1 MiB of values in all', async (t) => {
  const half = 'x'.repeat(512 * 1024);
  t.same(problemsOf([configMap('a', { data: { a: half }, binaryData: { b: b64(half) } })]), [], 'exactly 1 MiB');
  t.same(problemsOf([configMap('a', { data: { a: half, c: 'x' }, binaryData: { b: b64(half) } })]), ['document 2 (ConfigMap "a"): must have at most 1048576 bytes (got 1048577)']);
  t.same(problemsOf([secret('s', { data: { a: b64(half) }, stringData: { b: `${half}é` } })]), ['document 2 (Secret "s") data: must have at most 1048576 bytes (got 1048578)'], 'bytes, after stringData is merged');
});

t.test('the keys a typed Secret needs', async (t) => {
  const typed = (type: string, data: Raw = {}, extra: Raw = {}): Raw => secret('s', { type, stringData: data, ...extra });
  t.same(problemsOf([typed('kubernetes.io/tls', { 'tls.crt': 'c' })]), ['document 2 (Secret "s") data[tls.key]: required value: a Secret of type "kubernetes.io/tls" needs it']);
  t.same(problemsOf([typed('kubernetes.io/tls', { 'tls.crt': '', 'tls.key': '' })]), [], 'present, even empty');
  t.same(problemsOf([typed('kubernetes.io/dockerconfigjson')]), ['document 2 (Secret "s") data[.dockerconfigjson]: required value: a Secret of type "kubernetes.io/dockerconfigjson" needs it']);
  t.same(problemsOf([typed('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{"auths": {}}' })]), []);
  t.same(problemsOf([typed('kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{"auths": ' })]), ['document 2 (Secret "s") data[.dockerconfigjson]: must be a JSON object (got text that is not well-formed JSON; the contents are not shown)']);
  t.same(problemsOf([typed('kubernetes.io/dockercfg', { '.dockercfg': '["x"]' })]), ['document 2 (Secret "s") data[.dockercfg]: must be a JSON object (got an array; the contents are not shown)']);
  t.same(problemsOf([typed('kubernetes.io/basic-auth')]), [
    'document 2 (Secret "s") data[username]: required value: a Secret of type "kubernetes.io/basic-auth" needs it',
    'document 2 (Secret "s") data[password]: required value: a Secret of type "kubernetes.io/basic-auth" needs it',
  ]);
  t.same(problemsOf([typed('kubernetes.io/basic-auth', { password: '' })]), [], 'one of the two, maybe empty');
  t.same(problemsOf([typed('kubernetes.io/ssh-auth', { 'ssh-privatekey': '' })]), ['document 2 (Secret "s") data[ssh-privatekey]: required value: a Secret of type "kubernetes.io/ssh-auth" needs it'], 'not empty');
  t.same(problemsOf([typed('kubernetes.io/service-account-token')]), ['document 2 (Secret "s") metadata.annotations[kubernetes.io/service-account.name]: required value']);
  t.same(problemsOf([typed('kubernetes.io/service-account-token', {}, { metadata: { name: 's', annotations: { 'kubernetes.io/service-account.name': 'default' } } })]), []);
  t.same(problemsOf([typed('example.com/anything'), typed('')].map((s, i) => ({ ...s, metadata: { name: `s${i}` } }))), [], 'other types need nothing');
});

t.test('warnings name the object', async (t) => {
  t.same(load([configMap('a', { metadata: { name: 'a', ownerReferences: [] } })]).warnings.map((w) => `${w.path}: ${w.message}`), [
    'document 2 (ConfigMap "a") metadata.ownerReferences: not implemented by podshim, ignored',
  ]);
});

t.test('a Secret\'s value of the wrong type is named by its type alone, never shown', async (t) => {
  const problems = problemsOf([secret('s', { data: { n: 12345 }, stringData: { pin: 987654, flag: true } })]);
  t.same(problems, [
    'document 2 (Secret "s") data[n]: must be a string (got a number; a Secret\'s values are not shown): quote the value to keep it text (unquoted, YAML reads 0644 as the octal number 420, as kubectl does)',
    'document 2 (Secret "s") stringData[pin]: must be a string (got a number; a Secret\'s values are not shown): quote the value to keep it text (unquoted, YAML reads 0644 as the octal number 420, as kubectl does)',
    'document 2 (Secret "s") stringData[flag]: must be a string (got a boolean; a Secret\'s values are not shown): YAML reads unquoted true, false, yes, no, on, off, y and n as booleans, as kubectl does; quote the value',
  ]);
  t.notMatch(problems.join('\n'), /987654|12345/);
});
