// Choosing a manifest out of an image index as containerd's platforms
// matcher does: variants normalised, a host never given a variant it cannot
// run, 32-bit arm taking older variants when its own is missing.
import t from 'tap'

import { type Descriptor, hostPlatform, selectPlatform } from '../../../src/images/image-manifest'

let n = 0
function entry(platform: Descriptor['platform']): Descriptor {
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(++n).padStart(64, '0')}`, size: 1, platform }
}

const pick = (want: ReturnType<typeof hostPlatform>, ...offered: Descriptor[]): Descriptor['platform'] => selectPlatform(offered, want).platform

t.test('an amd64 host is not given a higher microarchitecture level', async (t) => {
  const amd64 = hostPlatform('x64')
  t.same(pick(amd64, entry({ os: 'linux', architecture: 'amd64', variant: 'v3' }), entry({ os: 'linux', architecture: 'amd64' })), { os: 'linux', architecture: 'amd64' })
  t.same(pick(amd64, entry({ os: 'linux', architecture: 'amd64', variant: 'v1' })), { os: 'linux', architecture: 'amd64', variant: 'v1' }, 'v1 is plain amd64')
  t.throws(() => selectPlatform([entry({ os: 'linux', architecture: 'amd64', variant: 'v3' })], amd64), { message: 'select platform "linux/amd64": the index offers only "linux/amd64/v3"' })
})

t.test('arm variants: an exact one first, then older ones a 32-bit arm host runs', async (t) => {
  const armV7 = hostPlatform('arm')
  const v6 = entry({ os: 'linux', architecture: 'arm', variant: 'v6' })
  const v7 = entry({ os: 'linux', architecture: 'arm', variant: 'v7' })
  t.same(pick(armV7, v6, v7), v7.platform)
  t.same(pick(armV7, v6), v6.platform, 'v7 runs v6 code')
  t.same(pick(armV7, entry({ os: 'linux', architecture: 'arm' })), { os: 'linux', architecture: 'arm' }, 'no variant is v7')
  t.throws(() => selectPlatform([entry({ os: 'linux', architecture: 'arm', variant: 'v8' })], armV7), { message: /offers only "linux\/arm\/v8"/ })
})

t.test('arm64: no variant is v8, and the first of equals wins', async (t) => {
  const arm64 = hostPlatform('arm64')
  const plain = entry({ os: 'linux', architecture: 'arm64' })
  const v8 = entry({ os: 'linux', architecture: 'arm64', variant: 'v8' })
  t.equal(selectPlatform([plain, v8], arm64), plain)
  t.equal(selectPlatform([v8, plain], arm64), v8)
})

t.test('architecture aliases and other systems', async (t) => {
  t.same(pick(hostPlatform('arm64'), entry({ os: 'linux', architecture: 'aarch64' })), { os: 'linux', architecture: 'aarch64' })
  t.throws(() => selectPlatform([entry({ os: 'windows', architecture: 'amd64' }), entry({ os: 'unknown', architecture: 'unknown' })], hostPlatform('x64')), { message: 'select platform "linux/amd64": the index offers only "windows/amd64", "unknown/unknown"' })
})
