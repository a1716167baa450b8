// The names a loaded image carries (local-names.ts), as docker load and ctr images import take them.
import t from 'tap'

import { imageNames, layoutImageNames } from '../../../src/images/local-names'

t.test('RepoTags are normalised as a pod\'s image is, once each; what is not an image name is left out', async (t) => {
  t.same(imageNames(['app:1', 'docker.io/library/app:1', 'example.com/x/y:2', 'Not A Name', '', undefined]), ['docker.io/library/app:1', 'example.com/x/y:2'])
})

t.test('a layout entry is named by containerd\'s annotation and by a ref.name that is a full name, not by a bare tag', async (t) => {
  const entry = (annotations?: Record<string, string>): Parameters<typeof layoutImageNames>[0] => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1, annotations })
  t.same(layoutImageNames(entry({ 'io.containerd.image.name': 'docker.io/library/one:1', 'org.opencontainers.image.ref.name': '1' })), ['docker.io/library/one:1'], 'docker 25\'s save: the tag alone in ref.name')
  t.same(layoutImageNames(entry({ 'org.opencontainers.image.ref.name': 'example.com/tools/two:2' })), ['example.com/tools/two:2'])
  t.same(layoutImageNames(entry({ 'org.opencontainers.image.ref.name': 'busybox:1.36' })), ['docker.io/library/busybox:1.36'])
  t.same(layoutImageNames(entry({ 'org.opencontainers.image.ref.name': 'latest' })), [], 'a bare tag names no image')
  t.same(layoutImageNames(entry()), [], 'untagged')
})
