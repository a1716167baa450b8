// Reference parsing and normalisation as distribution/reference and containers/image do it.
import t from 'tap'

import { familiarName, formatDockerReference, isDigestName, parseDockerReference, parseImageSource, sourceName } from '../../../src/images/reference'

const DIGEST = 'sha256:' + 'a'.repeat(64)

t.test('normalises Docker Hub short names', async (t) => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['registry.k8s.io/liveness', 'registry.k8s.io/liveness:latest'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c:v1.2-rc_3', 'localhost:5000/a/b/c:v1.2-rc_3'],
    ['127.0.0.1:5000/busybox', '127.0.0.1:5000/busybox:latest'],
    ['[::1]:5000/busybox:x', '[::1]:5000/busybox:x'],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
    [`busybox:1.36@${DIGEST}`, `docker.io/library/busybox:1.36@${DIGEST}`],
    ['a__b-c---e/x.y', 'docker.io/a__b-c---e/x.y:latest'],
  ]
  for (const [input, want] of cases) t.equal(formatDockerReference(parseDockerReference(input)), want, input)
})

t.test('familiar names drop the defaults', async (t) => {
  t.equal(familiarName(parseDockerReference('busybox')), 'busybox:latest')
  t.equal(familiarName(parseDockerReference('docker.io/bitnami/redis:7')), 'bitnami/redis:7')
  t.equal(familiarName(parseDockerReference('quay.io/a/b:1')), 'quay.io/a/b:1')
})

t.test('refuses invalid names with InvalidImageName', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    [' busybox', /white space/],
    ['Busybox', /lower case/],
    ['busybox:', /tag "" is malformed/],
    ['busybox:-x', /tag "-x"/],
    ['busybox:' + 'a'.repeat(129), /tag/],
    ['busybox@sha256:abc', /digest/],
    [`busybox@sha256:${'A'.repeat(64)}`, /digest/],
    ['a//b', /component ""/],
    ['a/b/', /component ""/],
    ['-a/b', /component "-a"/],
    ['a_-b', /component "library\/a_-b"|component "a_-b"/],
    ['foo/../bar', /component "\.\."/],
    ['exa_mple.com:5000/x', /registry host/],
    ['x'.repeat(300), /longer than 255/],
  ]
  for (const [input, message] of cases) {
    t.throws(() => parseDockerReference(input), { name: 'ImageError', reason: 'InvalidImageName', message }, JSON.stringify(input))
  }
})

t.test('parses transports', async (t) => {
  t.same(parseImageSource('docker://busybox'), { transport: 'docker', ref: { domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: null } })
  t.same(parseImageSource('oci:/srv/layout'), { transport: 'oci', dir: '/srv/layout', tag: null })
  t.same(parseImageSource('oci:/srv/layout:v1'), { transport: 'oci', dir: '/srv/layout', tag: 'v1' })
  t.same(parseImageSource('oci-archive:img.tar:latest'), { transport: 'oci-archive', file: 'img.tar', tag: 'latest' })
  t.same(parseImageSource('docker-archive:/tmp/b.tar'), { transport: 'docker-archive', file: '/tmp/b.tar', ref: null })
  t.equal(sourceName(parseImageSource('docker-archive:/tmp/b.tar:busybox:1')), 'docker.io/library/busybox:1')
  t.equal(sourceName(parseImageSource('oci:/x:y')), 'oci:/x:y')
  t.equal(parseImageSource('localhost:5000/x').transport, 'docker')
  t.throws(() => parseImageSource('docker:busybox'), { reason: 'InvalidImageName', message: /docker:\/\/NAME/ })
  t.throws(() => parseImageSource('oci:'), { reason: 'InvalidImageName', message: /needs a path/ })
  t.throws(() => parseImageSource('docker-archive:'), { reason: 'InvalidImageName', message: /needs a file/ })
})

t.test('a digest name is repository@sha256:<hex>, never a transport name that holds "@"', async (t) => {
  for (const name of [`docker.io/library/app@${DIGEST}`, `localhost:5000/app@${DIGEST}`]) t.ok(isDigestName(name), name)
  for (const name of ['docker-archive:/tmp/at@dir/u.tar', `docker-archive:/tmp/x@${DIGEST}`, `oci:/tmp/a@b:v1`, `oci-archive:/l@${DIGEST}`, 'docker.io/library/app:1', 'app@sha256:abc']) {
    t.notOk(isDigestName(name), name)
  }
})
