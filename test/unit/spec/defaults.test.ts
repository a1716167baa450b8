import t from 'tap';
import { applyDefaults, defaultPullPolicy } from '../../../src/spec/defaults';
import type { Pod } from '../../../src/spec/types';
import { validatePod } from '../../../src/spec/validate';
import { basePod, podWith, problemsOf, type Raw } from './fixtures/pods';

const defaulted = (raw: Raw) => {
  const { pod, problems } = validatePod(raw);
  if (problems.length > 0 || pod === undefined) throw new Error(JSON.stringify(problems));
  return applyDefaults(pod as Pod, { newUid: () => 'generated-uid' });
};

t.test('pod-level defaults', async (t) => {
  const pod = defaulted(basePod());
  t.same(pod.metadata, { name: 'web', namespace: 'default', uid: 'generated-uid', labels: {}, annotations: {} });
  const { containers, ...spec } = pod.spec;
  t.equal(containers.length, 1);
  t.same(spec, {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    enableServiceLinks: true,
    schedulerName: 'default-scheduler',
    serviceAccountName: 'default',
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    shareProcessNamespace: true, // podshim's documented difference (DESIGN.md)
    securityContext: {},
    initContainers: [],
    volumes: [],
  });
});

t.test('serviceAccountName: set, else the deprecated serviceAccount, else "default"', async (t) => {
  t.equal(defaulted(podWith((p) => { p.spec.serviceAccountName = 'builder'; p.spec.serviceAccount = 'old'; })).spec.serviceAccountName, 'builder');
  t.equal(defaulted(podWith((p) => { p.spec.serviceAccount = 'old'; })).spec.serviceAccountName, 'old');
  t.equal(defaulted(podWith((p) => { p.spec.serviceAccountName = ''; })).spec.serviceAccountName, 'default');
});

t.test('shareProcessNamespace follows hostPID unless set', async (t) => {
  t.equal(defaulted(podWith((p) => { p.spec.hostPID = true; })).spec.shareProcessNamespace, false);
  t.equal(defaulted(podWith((p) => { p.spec.shareProcessNamespace = false; })).spec.shareProcessNamespace, false);
});

t.test('set values are kept', async (t) => {
  const pod = defaulted(podWith((p) => {
    p.metadata = { name: 'a', namespace: 'ns', uid: 'u1', labels: { app: 'a' } };
    Object.assign(p.spec, { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', enableServiceLinks: false, hostNetwork: true });
  }));
  t.same(pod.metadata, { name: 'a', namespace: 'ns', uid: 'u1', labels: { app: 'a' }, annotations: {} });
  const { restartPolicy, terminationGracePeriodSeconds, dnsPolicy, enableServiceLinks, hostNetwork } = pod.spec;
  t.same(
    { restartPolicy, terminationGracePeriodSeconds, dnsPolicy, enableServiceLinks, hostNetwork },
    { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', enableServiceLinks: false, hostNetwork: true },
  );
});

t.test('container defaults', async (t) => {
  const c = defaulted(podWith((p) => {
    p.spec.containers[0].ports = [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }];
  })).spec.containers[0];
  t.same(c, {
    name: 'app',
    image: 'busybox:1.36',
    imagePullPolicy: 'IfNotPresent',
    command: [],
    args: [],
    env: [],
    envFrom: [],
    ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }],
    resources: { requests: {}, limits: {} },
    volumeMounts: [],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  });
});

t.test('requests default to limits', async (t) => {
  const c = defaulted(podWith((p) => {
    p.spec.containers[0].resources = { limits: { cpu: '1', memory: 268435456 }, requests: { cpu: '250m' } };
  })).spec.containers[0];
  t.same(c.resources, { limits: { cpu: '1', memory: '268435456' }, requests: { cpu: '250m', memory: '268435456' } });
});

t.test('imagePullPolicy from the image reference', async (t) => {
  const cases: [string, string][] = [
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['busybox@sha256:abcd', 'IfNotPresent'],
    ['busybox:latest@sha256:abcd', 'Always'],
    ['docker://docker.io/library/nginx:1.27', 'IfNotPresent'],
  ];
  for (const [image, policy] of cases) t.equal(defaultPullPolicy(image), policy, image);
  const c = defaulted(podWith((p) => { p.spec.containers[0].image = 'nginx'; })).spec.containers[0];
  t.equal(c.imagePullPolicy, 'Always');
  const set = defaulted(podWith((p) => { p.spec.containers[0].imagePullPolicy = 'Never'; })).spec.containers[0];
  t.equal(set.imagePullPolicy, 'Never');
});

t.test('probe defaults; 0 is unset as in the API', async (t) => {
  const c = defaulted(podWith((p) => {
    Object.assign(p.spec.containers[0], {
      livenessProbe: { httpGet: { port: 8080 } },
      readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 0, timeoutSeconds: 5, initialDelaySeconds: 3, successThreshold: 2, failureThreshold: 0 },
      startupProbe: { grpc: { port: 9000 } },
    });
  })).spec.containers[0];
  t.same(c.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  t.same(c.readinessProbe, {
    tcpSocket: { port: 80 },
    initialDelaySeconds: 3, timeoutSeconds: 5, periodSeconds: 10, successThreshold: 2, failureThreshold: 3,
  });
  t.same(c.startupProbe, {
    grpc: { port: 9000 },
    initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  }, 'a grpc probe is kept, with the defaults');
});

t.test('lifecycle httpGet defaults', async (t) => {
  const c = defaulted(podWith((p) => {
    p.spec.containers[0].lifecycle = { preStop: { httpGet: { port: 80, path: '/stop', scheme: 'HTTPS' } }, postStart: { exec: { command: ['x'] } } };
  })).spec.containers[0];
  t.same(c.lifecycle, { preStop: { httpGet: { port: 80, path: '/stop', scheme: 'HTTPS' } }, postStart: { exec: { command: ['x'] } } });
  const d = defaulted(podWith((p) => { p.spec.containers[0].lifecycle = { preStop: { httpGet: { port: 80 } } }; })).spec.containers[0];
  t.same(d.lifecycle, { preStop: { httpGet: { port: 80, path: '/', scheme: 'HTTP' } } });
});

t.test('env: fieldRef apiVersion, ignored sources dropped', async (t) => {
  const c = defaulted(podWith((p) => {
    p.spec.containers[0].env = [
      { name: 'A', value: '1' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'F', valueFrom: { fileKeyRef: { volumeName: 'v', path: 'p', key: 'k' } } },
    ];
    p.spec.containers[0].envFrom = [{ configMapRef: { name: 'c' } }];
  })).spec.containers[0];
  t.same(c.env, [
    { name: 'A', value: '1' },
    { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
  ], 'the fileKeyRef podshim ignores is dropped, the other sources kept');
  t.same(c.envFrom, [{ configMapRef: { name: 'c' } }]);
});

t.test('volume defaults', async (t) => {
  const pod = defaulted(podWith((p) => {
    p.spec.volumes = [
      { name: 'a', hostPath: { path: '/srv' } },
      { name: 'b', emptyDir: {} },
      { name: 'c' },
      { name: 'd', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
      { name: 'e', nfs: { server: 'nfs.example', path: '/x' } },
    ];
  }));
  t.same(pod.spec.volumes, [
    { name: 'a', hostPath: { path: '/srv', type: '' } },
    { name: 'b', emptyDir: { medium: '' } },
    { name: 'c', emptyDir: { medium: '' } },
    { name: 'd', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
    { name: 'e', emptyDir: { medium: '' } },
  ]);
});

t.test('configMap, secret, downwardAPI and projected volumes: defaultMode 0644, items and optional always there', async (t) => {
  const file = { path: 'name', fieldRef: { fieldPath: 'metadata.name' } };
  const pod = defaulted(podWith((p) => {
    p.spec.volumes = [
      { name: 'a', configMap: { name: 'cm' } },
      { name: 'b', secret: { secretName: 's', defaultMode: 0o400, optional: true, items: [{ key: 'k', path: 'p', mode: 0o600 }] } },
      { name: 'c', downwardAPI: { items: [file] } },
      { name: 'd', downwardAPI: { defaultMode: 0o440 } },
      {
        name: 'e',
        projected: {
          defaultMode: 0o600,
          sources: [{ configMap: { name: 'cm' } }, { secret: { name: 's', optional: false } }, { downwardAPI: { items: [file] } }, { serviceAccountToken: { path: 'token' } }],
        },
      },
      { name: 'f', projected: {} },
    ];
  }));
  t.same(pod.spec.volumes, [
    { name: 'a', configMap: { name: 'cm', items: [], defaultMode: 0o644, optional: false } },
    { name: 'b', secret: { name: 's', items: [{ key: 'k', path: 'p', mode: 0o600 }], defaultMode: 0o400, optional: true } },
    { name: 'c', downwardAPI: { items: [file], defaultMode: 0o644 } },
    { name: 'd', downwardAPI: { items: [], defaultMode: 0o440 } },
    {
      name: 'e',
      projected: {
        defaultMode: 0o600,
        // the token podshim cannot issue is left out; the others take the volume's defaultMode
        sources: [
          { configMap: { name: 'cm', items: [], defaultMode: 0o600, optional: false } },
          { secret: { name: 's', items: [], defaultMode: 0o600, optional: false } },
          { downwardAPI: { items: [file] } },
        ],
      },
    },
    { name: 'f', projected: { sources: [], defaultMode: 0o644 } },
  ]);
});

t.test('unimplemented fields do not reach the output', async (t) => {
  const pod = defaulted(podWith((p) => {
    p.spec.affinity = {};
    p.spec.containers[0].tty = true;
    p.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  }));
  t.equal('affinity' in pod.spec, false);
  t.equal('tty' in pod.spec.containers[0], false);
  t.equal('creationTimestamp' in pod.metadata, false);
});

t.test('an empty string is unset for the fields the API server defaults, as in SetDefaults_*', async (t) => {
  const pod = podWith((p) => {
    Object.assign(p.spec, { restartPolicy: '', dnsPolicy: '' });
    Object.assign(p.spec.containers[0], {
      imagePullPolicy: '', terminationMessagePolicy: '', ports: [{ containerPort: 80, protocol: '' }],
      readinessProbe: { httpGet: { port: 80, scheme: '' } },
      env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: '', fieldPath: 'metadata.name' } } }],
    });
  });
  t.same(problemsOf(pod), [], 'valid');
  const d = defaulted(pod);
  const c = d.spec.containers[0];
  t.same([d.spec.restartPolicy, d.spec.dnsPolicy, c.terminationMessagePolicy, c.ports[0].protocol, c.readinessProbe?.httpGet?.scheme],
    ['Always', 'ClusterFirst', 'File', 'TCP', 'HTTP']);
  t.ok(['Always', 'IfNotPresent'].includes(c.imagePullPolicy));
});
