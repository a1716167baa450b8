// A `medium: Memory` emptyDir's tmpfs size, as kubelet sizes it: sizeLimit
// (0 is unset) capped by the pod's memory limit, else the machine's memory.
import t from 'tap'
import { memoryVolumeBytes } from '../../../src/sandbox/volumes'

t.test('sizeLimit, capped by the pod\'s memory limit; 0 is unset', async (t) => {
  const GI = 2 ** 30
  t.equal(memoryVolumeBytes(GI, null, 8 * GI), GI)
  t.equal(memoryVolumeBytes(4 * GI, 2 * GI, 8 * GI), 2 * GI, 'no bigger than the pod may use')
  t.equal(memoryVolumeBytes(undefined, 2 * GI, 8 * GI), 2 * GI, 'no sizeLimit: the pod\'s limit')
  t.equal(memoryVolumeBytes(undefined, null, 8 * GI), 8 * GI, 'neither: the machine\'s memory')
  t.equal(memoryVolumeBytes(0, null, 8 * GI), 8 * GI, 'sizeLimit 0 is unset, never tmpfs\'s size=0 (unlimited)')
})
