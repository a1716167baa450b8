import t from 'tap'
import { hintFor } from '../../../src/hints'
import { prepareFileVolume } from '../../../src/sandbox/file-volumes'
import { loadPod } from '../../../src/spec'
import { NO_CONFIG_OBJECTS } from '../../../src/spec/config-objects'

const ALLOCATABLE = { milliCpu: 1000n, memoryBytes: 1n << 30n, ephemeralStorageBytes: 1n << 30n }

function podWithConfigMapVolume(configMap: string) {
  return loadPod(JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { volumes: [{ name: 'v', configMap: { name: configMap } }], containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'v', mountPath: '/v' }] }] },
  }), 'p.json', { newUid: () => 'u' }).pod
}

t.test('a pod exported from a cluster, whose kube-api-access volume names kube-root-ca.crt, is told what to do', async (t) => {
  const pod = podWithConfigMapVolume('kube-root-ca.crt')
  const err = t.throws(() => prepareFileVolume(pod.spec.volumes[0], '/nonexistent-podshim-test', null, undefined, { pod, objects: NO_CONFIG_OBJECTS, node: () => ALLOCATABLE }))
  t.match(err, { name: 'VolumeError', message: 'MountVolume.SetUp failed for volume "v" : configmap "kube-root-ca.crt" not found' })
  t.match(hintFor(err), /give the ConfigMap beside the pod, or drop the volume/)
  const other = podWithConfigMapVolume('app')
  t.equal(hintFor(t.throws(() => prepareFileVolume(other.spec.volumes[0], '/nonexistent-podshim-test', null, undefined, { pod: other, objects: NO_CONFIG_OBJECTS, node: () => ALLOCATABLE }))), undefined, 'another ConfigMap: no hint')
})
