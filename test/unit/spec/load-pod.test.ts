import t from 'tap';
import { ManifestError, loadPod } from '../../../src/spec/index';

const NEW_UID = { newUid: (): string => 'generated-uid' };

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  nodeSelector: {disk: ssd}
  containers:
  - name: nginx
    image: nginx:1.27
    resources:
      limits: {cpu: 500m, memory: 128Mi}
`;

t.test('a valid manifest gives the defaulted pod and warnings', async (t) => {
  const { pod, warnings } = loadPod(MANIFEST, 'web.yaml', { newUid: () => 'u' });
  t.equal(pod.metadata.uid, 'u');
  t.equal(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  t.same(pod.spec.containers[0].resources.requests, { cpu: '500m', memory: '128Mi' });
  t.same(warnings, [{ path: 'spec.nodeSelector', message: 'not implemented by podshim, ignored' }]);
});

t.test('an invalid manifest throws a ManifestError listing every problem', async (t) => {
  const text = MANIFEST.replace('name: nginx', 'name: Nginx').replace('memory: 128Mi', 'memory: 128MB');
  const err = t.throws(() => loadPod(text, 'web.yaml', NEW_UID)) as ManifestError;
  t.ok(err instanceof ManifestError);
  t.equal(err.problems.length, 2);
  t.equal(err.message.split('\n')[0], 'invalid pod manifest "web.yaml"');
  t.match(err.message, /\n {2}spec\.containers\[0\]\.name: must be a lowercase RFC 1123 label/);
  t.match(err.message, /\n {2}spec\.containers\[0\]\.resources\.limits\[memory\]: invalid quantity "128MB"/);
});

t.test('load errors are ManifestErrors too', async (t) => {
  t.throws(() => loadPod('a: [', 'bad.yaml', NEW_UID), { name: 'ManifestError', message: /^invalid pod manifest "bad\.yaml"\n {2}yaml syntax error/ });
});
