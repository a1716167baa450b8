// Which images are the built-in one: every spelling of the reference
// docker.io/podshim/host:latest a pod's image field may use, as a stored
// image is found by any spelling of its name; nothing else.
import t from 'tap'

import { isHostImage } from '../../../src/images/host-image'

t.test('every spelling of docker.io/podshim/host:latest is the built-in image', async (t) => {
  for (const image of ['podshim/host', 'podshim/host:latest', 'docker.io/podshim/host', 'docker.io/podshim/host:latest', 'index.docker.io/podshim/host', 'docker://podshim/host']) {
    t.ok(isHostImage(image), image)
  }
})

t.test('another tag, a digest, another registry or repository, or no reference at all is not', async (t) => {
  for (const image of ['podshim/host:1', `podshim/host@sha256:${'a'.repeat(64)}`, 'quay.io/podshim/host', 'library/podshim/host', 'podshim/hosts', 'Podshim/host', '', 'oci:podshim/host', 'podshim://podshim/host']) {
    t.notOk(isHostImage(image), JSON.stringify(image))
  }
})
