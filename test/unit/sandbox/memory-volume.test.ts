// A `medium: Memory` emptyDir's tmpfs size, as kubelet sizes it: sizeLimit
// (0 is unset) capped by the pod's memory limit, else the node's allocatable memory.
import t from 'tap'
import { totalmem } from 'node:os'
import { memoryVolumeBytes } from '../../../src/sandbox/volumes'
import { allocatableMemoryBytes } from '../../../src/sandbox/downward-resources'

t.test('sizeLimit, capped by the pod\'s memory limit; 0 is unset', async (t) => {
  const GI = 2 ** 30
  t.equal(memoryVolumeBytes(GI, null, 8 * GI), GI)
  t.equal(memoryVolumeBytes(4 * GI, 2 * GI, 8 * GI), 2 * GI, 'no bigger than the pod may use')
  t.equal(memoryVolumeBytes(undefined, 2 * GI, 8 * GI), 2 * GI, 'no sizeLimit: the pod\'s limit')
  t.equal(memoryVolumeBytes(undefined, null, 8 * GI), 8 * GI, 'neither: the node\'s allocatable memory')
  t.equal(memoryVolumeBytes(undefined, 16 * GI, 8 * GI), 8 * GI, 'a pod limit above it counts for nothing')
  t.equal(memoryVolumeBytes(0, null, 8 * GI), 8 * GI, 'sizeLimit 0 is unset, never tmpfs\'s size=0 (unlimited)')
})

t.test('the node\'s allocatable memory is MemTotal less kubelet\'s 100Mi hard eviction threshold', async (t) => {
  t.equal(allocatableMemoryBytes(), totalmem() - 100 * 2 ** 20)
})
