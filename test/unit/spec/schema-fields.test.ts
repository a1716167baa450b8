import t from 'tap';
import { podWith, problemsOf, warningsOf, type Raw } from './fixtures/pods';

t.test('fields not in the Kubernetes schema are errors naming their path', async (t) => {
  const pod = podWith((p: Raw) => {
    p.spec.containers[0].imagee = 'x';
    p.spec.restartpolicy = 'Never';
    p.metadata.nmae = 'x';
    p.extra = 1;
    p.spec.containers[0].livenessProbe = { exec: { command: ['x'], cmd: [] } };
  });
  t.same(problemsOf(pod).sort(), [
    'extra: unknown field',
    'metadata.nmae: unknown field',
    'spec.containers[0].imagee: unknown field',
    'spec.containers[0].livenessProbe.exec.cmd: unknown field',
    'spec.restartpolicy: unknown field',
  ]);
});

t.test('Kubernetes fields podshim does not implement are warnings naming their path', async (t) => {
  const pod = podWith((p: Raw) => {
    Object.assign(p.spec, {
      affinity: { nodeAffinity: {} },
      nodeSelector: { disk: 'ssd' },
      tolerations: [],
      serviceAccountName: 'sa',
      priority: 5,
      activeDeadlineSeconds: 60,
      volumes: [{ name: 'cfg', nfs: { server: 'nfs.example', path: '/x' } }],
    });
    p.spec.securityContext = { fsGroup: 2000, sysctls: [] };
    Object.assign(p.spec.containers[0], {
      envFrom: [{ configMapRef: { name: 'x' } }],
      stdin: true,
      tty: true,
      securityContext: { procMount: 'Default' },
      env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }, { name: 'F', valueFrom: { fileKeyRef: { volumeName: 'cfg', path: 'f.env', key: 'k' } } }],
      volumeMounts: [{ name: 'cfg', mountPath: '/cfg', mountPropagation: 'None', subPathExpr: '$(X)' }],
      ports: [{ containerPort: 80, hostPort: 8080 }],
    });
    p.status = { phase: 'Running' };
  });
  t.same(problemsOf(pod), []);
  const ignored = (path: string): string => `${path}: not implemented by podshim, ignored`;
  t.same(warningsOf(pod).sort(), [
    ignored('spec.affinity'),
    ignored('spec.containers[0].env[1].valueFrom.fileKeyRef'),
    `${ignored('spec.containers[0].ports[0].hostPort')}: nothing forwards the host's port into the pod's network namespace (with hostNetwork: true a container listens on the host's ports itself)`,
    ignored('spec.containers[0].securityContext.procMount'),
    ignored('spec.containers[0].stdin'),
    ignored('spec.containers[0].tty'),
    ignored('spec.nodeSelector'),
    ignored('spec.priority'),
    ignored('spec.tolerations'),
    'spec.volumes[0].nfs: not implemented by podshim, an empty directory is mounted instead',
    'status: set by the API server, ignored',
  ].sort());
});

t.test('server-set metadata is accepted silently', async (t) => {
  const pod = podWith((p: Raw) => {
    Object.assign(p.metadata, { creationTimestamp: null, resourceVersion: '1', managedFields: [], uid: 'abc', selfLink: '/x', generation: 1 });
  });
  t.same(problemsOf(pod), []);
  t.same(warningsOf(pod), []);
});

t.test('unimplemented metadata is warned about', async (t) => {
  const pod = podWith((p: Raw) => { p.metadata.ownerReferences = []; p.metadata.finalizers = ['x']; });
  t.same(warningsOf(pod), [
    'metadata.ownerReferences: not implemented by podshim, ignored',
    'metadata.finalizers: not implemented by podshim, ignored',
  ]);
});

t.test('null means unset, as in the API', async (t) => {
  t.same(problemsOf(podWith((p: Raw) => { p.spec.volumes = null; p.spec.containers[0].env = null; })), []);
});

t.test('every problem is reported at once', async (t) => {
  const pod = {
    apiVersion: 'v2',
    kind: 'Pod',
    metadata: { name: 'Bad_Name' },
    spec: {
      restartPolicy: 'Sometimes',
      terminationGracePeriodSeconds: 'soon',
      bogus: true,
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 70000 }] },
        { name: 'a', image: 'x', livenessProbe: { periodSeconds: -1 }, resources: { limits: { cpu: 'lots' } } },
      ],
    },
  };
  t.same(problemsOf(pod), [
    'spec.terminationGracePeriodSeconds: must be an integer (got string "soon")',
    'spec.bogus: unknown field',
    'apiVersion: must be "v1" (got "v2")',
    "metadata.name: must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com') (got \"Bad_Name\")",
    'spec.restartPolicy: unsupported value "Sometimes": supported values: "Always", "OnFailure", "Never"',
    'spec.containers[0].ports[0].containerPort: must be between 1 and 65535, inclusive (got 70000)',
    'spec.containers[1].resources.limits[cpu]: invalid quantity "lots": must start with a number, like "1", "0.5" or ".5"',
    'spec.containers[1].livenessProbe: must specify a handler type: one of exec, httpGet, tcpSocket, grpc',
    'spec.containers[1].livenessProbe.periodSeconds: must be greater than or equal to 0 (got -1)',
    'spec.containers[1].name: duplicate value (got "a")',
  ]);
});

t.test('a field podshim does not implement must still have its shape, as the API server decodes it', async (t) => {
  const pod = podWith((p: Raw) => {
    p.spec.tolerations = true;
    p.spec.priority = 'high';
    p.spec.nodeSelector = ['ssd'];
    Object.assign(p.spec.containers[0], { tty: 1, stdin: 'true', volumeDevices: 5 });
    p.spec.volumes = [{ name: 'cfg', nfs: 'x' }];
  });
  t.same(problemsOf(pod).sort(), [
    'spec.containers[0].stdin: must be a boolean (got string "true")',
    'spec.containers[0].tty: must be a boolean (got number 1)',
    'spec.containers[0].volumeDevices: must be a list (got number 5)',
    'spec.nodeSelector: must be a map of strings (got a list)',
    'spec.priority: must be a 32-bit integer (got string "high")',
    'spec.tolerations: must be a list (got boolean true)',
    'spec.volumes[0].nfs: must be an object (got string "x")',
  ]);
});
