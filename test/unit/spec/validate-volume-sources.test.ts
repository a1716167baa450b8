// The API server's rules for configMap, secret, downwardAPI and projected
// volumes (ValidateVolumes), each case with a fix that makes the pod valid.
import t from 'tap';
import { podWith, problemsOf, runCases, warningsOf, type Raw, type RuleCase } from './fixtures/pods';

const volume = (source: Raw): (p: Raw) => void => (p) => { p.spec.volumes = [{ name: 'v', ...source }]; };
const name = { fieldRef: { fieldPath: 'metadata.name' } };

const cases: RuleCase[] = [
  ['configMap name', volume({ configMap: {} }), 'spec.volumes[0].configMap.name: required value', volume({ configMap: { name: 'cm' } })],
  ['secret secretName', volume({ secret: { name: 's' } }), 'spec.volumes[0].secret.name: unknown field', volume({ secret: { secretName: 's' } })],
  ['secret secretName missing', volume({ secret: {} }), 'spec.volumes[0].secret.secretName: required value', volume({ secret: { secretName: 's', optional: true } })],
  ['defaultMode above 0777', volume({ configMap: { name: 'cm', defaultMode: 0o1000 } }),
    'spec.volumes[0].configMap.defaultMode: must be a number between 0 and 0777 (octal), both inclusive (got 512)', volume({ configMap: { name: 'cm', defaultMode: 0o777 } })],
  ['defaultMode negative', volume({ secret: { secretName: 's', defaultMode: -1 } }),
    'spec.volumes[0].secret.defaultMode: must be a number between 0 and 0777 (octal), both inclusive (got -1)', volume({ secret: { secretName: 's', defaultMode: 0 } })],
  ['defaultMode type', volume({ configMap: { name: 'cm', defaultMode: '0644' } }), 'spec.volumes[0].configMap.defaultMode: must be a 32-bit integer (got string "0644")', volume({ configMap: { name: 'cm', defaultMode: 0o644 } })],
  ['item key', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'a' }, { path: 'b' }] } }), 'spec.volumes[0].configMap.items[1].key: required value',
    volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'a' }, { key: 'b', path: 'b' }] } })],
  ['item path', volume({ configMap: { name: 'cm', items: [{ key: 'a' }] } }), 'spec.volumes[0].configMap.items[0].path: required value', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'dir/a' }] } })],
  ['item path absolute', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'a' }, { key: 'b', path: '/etc/b' }] } }),
    'spec.volumes[0].configMap.items[1].path: must be a relative path (got "/etc/b")', volume({ configMap: { name: 'cm', items: [{ key: 'b', path: 'etc/b' }] } })],
  ['item path backstep', volume({ secret: { secretName: 's', items: [{ key: 'a', path: 'a/../../b' }] } }),
    "spec.volumes[0].secret.items[0].path: must not contain '..' (got \"a/../../b\")", volume({ secret: { secretName: 's', items: [{ key: 'a', path: 'a/..b' }] } })],
  ['item path starting with ..', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: '..data' }] } }),
    "spec.volumes[0].configMap.items[0].path: must not start with '..' (got \"..data\")", volume({ configMap: { name: 'cm', items: [{ key: 'a', path: '.data' }] } })],
  ['item mode', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'a', mode: 0o4755 }] } }),
    'spec.volumes[0].configMap.items[0].mode: must be a number between 0 and 0777 (octal), both inclusive (got 2541)', volume({ configMap: { name: 'cm', items: [{ key: 'a', path: 'a', mode: 0o755 }] } })],
  ['downwardAPI path', volume({ downwardAPI: { items: [{ path: '/name', ...name }] } }),
    'spec.volumes[0].downwardAPI.items[0].path: must be a relative path (got "/name")', volume({ downwardAPI: { items: [{ path: 'pod/name', ...name }] } })],
  ['downwardAPI neither ref', volume({ downwardAPI: { items: [{ path: 'x' }] } }),
    'spec.volumes[0].downwardAPI.items[0]: required value: one of fieldRef and resourceFieldRef is required', volume({ downwardAPI: { items: [{ path: 'x', ...name }] } })],
  ['downwardAPI both refs', volume({ downwardAPI: { items: [{ path: 'x', ...name, resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } }] } }),
    'spec.volumes[0].downwardAPI.items[0]: fieldRef and resourceFieldRef can not be specified simultaneously',
    volume({ downwardAPI: { items: [{ path: 'x', ...name }, { path: 'y', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } }] } })],
  ['downwardAPI env-only field', volume({ downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }] } }),
    'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: unsupported value "status.podIP": supported values: "metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations", "metadata.uid"',
    volume({ downwardAPI: { items: ['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations', "metadata.labels['app']", "metadata.annotations['Example.com/Note']"].map((fieldPath, i) => ({ path: `f${i}`, fieldRef: { fieldPath } })) } })],
  ['downwardAPI label key', volume({ downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: "metadata.labels['-x']" } }] } }),
    'spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: name part must consist', volume({ downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: "metadata.labels['x']" } }] } })],
  ['downwardAPI apiVersion', volume({ downwardAPI: { items: [{ path: 'n', fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } }] } }),
    'spec.volumes[0].downwardAPI.items[0].fieldRef.apiVersion: unsupported value "v2"', volume({ downwardAPI: { items: [{ path: 'n', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } })],
  ['downwardAPI resourceFieldRef needs containerName', volume({ downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }] } }),
    'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: required value', volume({ downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } }] } })],
  ['downwardAPI resource', volume({ downwardAPI: { items: [{ path: 'gpu', resourceFieldRef: { containerName: 'app', resource: 'limits.gpu' } }] } }),
    'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.resource: unsupported value "limits.gpu"', volume({ downwardAPI: { items: [{ path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'requests.memory', divisor: '1Mi' } }] } })],
  ['downwardAPI divisor', volume({ downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1Mi' } }] } }),
    "spec.volumes[0].downwardAPI.items[0].resourceFieldRef.divisor: only divisor's values 1m and 1 are supported with the cpu resource (got \"1Mi\")", () => {}],
  ['downwardAPI mode', volume({ downwardAPI: { defaultMode: 0o644, items: [{ path: 'n', ...name, mode: 1000 }] } }),
    'spec.volumes[0].downwardAPI.items[0].mode: must be a number between 0 and 0777 (octal), both inclusive (got 1000)', volume({ downwardAPI: { items: [{ path: 'n', ...name, mode: 0o400 }] } })],
  ['projected source with two kinds', volume({ projected: { sources: [{ configMap: { name: 'cm' }, secret: { name: 's' } }] } }),
    'spec.volumes[0].projected.sources[0]: may not specify more than 1 volume type (got configMap, secret)', volume({ projected: { sources: [{ configMap: { name: 'cm' } }, { secret: { name: 's' } }] } })],
  ['projected source with a token and a configMap', volume({ projected: { sources: [{ configMap: { name: 'cm' }, serviceAccountToken: { path: 't' } }] } }),
    'spec.volumes[0].projected.sources[0]: may not specify more than 1 volume type (got configMap, serviceAccountToken)', () => {}],
  ['projected name', volume({ projected: { sources: [{ secret: {} }] } }), 'spec.volumes[0].projected.sources[0].secret.name: required value', volume({ projected: { sources: [{ secret: { name: 's' } }] } })],
  ['projected duplicate paths', volume({ projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'a', path: 'x' }] } }, { downwardAPI: { items: [{ path: 'x', ...name }] } }] } }),
    'spec.volumes[0].projected: conflicting duplicate paths (got "x")',
    volume({ projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'a', path: 'x' }] } }, { downwardAPI: { items: [{ path: 'y', ...name }] } }] } })],
  ['projected duplicate paths, named by the source', volume({ projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'a', path: 'x' }] } }, { secret: { name: 'sec', items: [{ key: 'b', path: 'x' }] } }] } }),
    'spec.volumes[0].projected: conflicting duplicate paths (got "sec")', () => {}],
  ['projected item path', volume({ projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'a', path: '../a' }] } }] } }),
    "spec.volumes[0].projected.sources[0].configMap.items[0].path: must not contain '..' (got \"../a\")", () => {}],
  ['projected defaultMode', volume({ projected: { defaultMode: 0o1777, sources: [] } }),
    'spec.volumes[0].projected.defaultMode: must be a number between 0 and 0777 (octal), both inclusive (got 1023)', volume({ projected: { defaultMode: 0o400, sources: [] } })],
  ['projected downwardAPI item', volume({ projected: { sources: [{ downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'spec.nodeName' } }] } }] } }),
    'spec.volumes[0].projected.sources[0].downwardAPI.items[0].fieldRef.fieldPath: unsupported value "spec.nodeName"', () => {}],
  ['configMap and emptyDir', volume({ configMap: { name: 'cm' }, emptyDir: {} }), 'spec.volumes[0]: may not specify more than 1 volume type (got emptyDir, configMap)', volume({ configMap: { name: 'cm' } })],
];

t.test('rules', async (t) => runCases(t, cases));

t.test('a path starting with `..` or made of `..` is said twice, as Kubernetes says it; `../x` once', async (t) => {
  const problems = (path: string): string[] => problemsOf(podWith(volume({ configMap: { name: 'cm', items: [{ key: 'a', path }] } })));
  t.same(problems('..'), [
    "spec.volumes[0].configMap.items[0].path: must not contain '..' (got \"..\")",
    "spec.volumes[0].configMap.items[0].path: must not start with '..' (got \"..\")",
  ]);
  t.same(problems('../x'), ["spec.volumes[0].configMap.items[0].path: must not contain '..' (got \"../x\")"]);
});

t.test('serviceAccountToken, clusterTrustBundle and podCertificate in a projected volume are warnings; the rest of the volume stays', async (t) => {
  const pod = podWith(volume({
    projected: {
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
        { configMap: { name: 'cm' } },
        { clusterTrustBundle: { signerName: 'example.com/s', path: 'ca.pem' } },
        { podCertificate: { signerName: 'example.com/s', keyType: 'ED25519' } },
      ],
    },
  }));
  t.same(problemsOf(pod), []);
  const note = 'not implemented by podshim (there is no cluster to issue it): left out of the volume';
  t.same(warningsOf(pod), [
    `spec.volumes[0].projected.sources[0].serviceAccountToken: ${note}`,
    `spec.volumes[0].projected.sources[2].clusterTrustBundle: ${note}`,
    `spec.volumes[0].projected.sources[3].podCertificate: ${note}`,
  ]);
  t.same(problemsOf(podWith(volume({ projected: { sources: [{ serviceAccountToken: 'token' }] } }))),
    ['spec.volumes[0].projected.sources[0].serviceAccountToken: must be an object (got string "token")'], 'its shape is still checked');
});

t.test('configMap, secret, downwardAPI and projected volumes draw no warning', async (t) => {
  const pod = podWith((p) => {
    p.spec.volumes = [
      { name: 'a', configMap: { name: 'cm', items: [{ key: 'k', path: 'k' }], optional: true } },
      { name: 'b', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'c', downwardAPI: { items: [{ path: 'n', ...name }] } },
      { name: 'd', projected: { sources: [{ secret: { name: 's' } }] } },
    ];
    p.spec.containers[0].volumeMounts = [{ name: 'a', mountPath: '/a' }, { name: 'b', mountPath: '/b', subPath: 'k' }];
  });
  t.same(problemsOf(pod), []);
  t.same(warningsOf(pod), []);
});
