import t from 'tap'
import { loadPod } from '../../../src/spec'
import { withKubeletAnnotations } from '../../../src/supervisor/kubelet-annotations'

t.test('kubelet\'s source and first-seen annotations join the manifest\'s, which stays as it was', async (t) => {
  const { pod } = loadPod('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": {"build": "two"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}', 'p.json', { newUid: () => 'u' })
  const seen = withKubeletAnnotations(pod, 1_700_000_000_123_456_700n)
  t.same(seen.metadata.annotations, { build: 'two', 'kubernetes.io/config.seen': '2023-11-14T22:13:20.1234567Z', 'kubernetes.io/config.source': 'api' })
  t.same(pod.metadata.annotations, { build: 'two' }, 'the loaded pod is not changed')
})
