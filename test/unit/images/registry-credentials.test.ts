import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

import { credentialsInOrder, pullSecretCredentials } from '../../../src/images/registry-credentials'
import type { ConfigObject, PodConfigObjects } from '../../../src/spec/config-objects'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

function secret(name: string, type: string, data: Record<string, string>): ConfigObject {
  return { kind: 'Secret', name, namespace: 'default', type, data: new Map(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) }
}

function objects(...secrets: ConfigObject[]): PodConfigObjects {
  return { configMaps: new Map(), secrets: new Map(secrets.map((s) => [s.name, s])) }
}

const configJson = (host: string, user: string, password: string): string => JSON.stringify({ auths: { [host]: { auth: b64(`${user}:${password}`) } } })

t.test('dockerconfigjson and dockercfg Secrets give their registries, in imagePullSecrets order', async (t) => {
  const given = objects(
    secret('json', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': configJson('reg.example:5000', 'a', 'pw-a') }),
    secret('cfg', 'kubernetes.io/dockercfg', { '.dockercfg': JSON.stringify({ 'https://reg.example:5000/v1/': { username: 'b', password: 'pw-b' } }) }),
  )
  const { sources, missing } = pullSecretCredentials(['cfg', 'json'], given)
  t.same(missing, [])
  t.same(sources.map((s) => s.from), ['imagePullSecret "cfg"', 'imagePullSecret "json"'])
  t.same(credentialsInOrder(sources, null, 'reg.example:5000/app'), [
    { from: 'imagePullSecret "cfg"', basic: b64('b:pw-b') },
    { from: 'imagePullSecret "json"', basic: b64('a:pw-a') },
  ])
  t.same(credentialsInOrder(sources, null, 'other.example/app'), [], 'a registry none names: no credentials, the pull goes without')
})

t.test('a name the manifest does not give is missing; a Secret of another type or without its key gives nothing', async (t) => {
  const given = objects(
    secret('opaque', 'Opaque', { '.dockerconfigjson': configJson('reg.example', 'a', 'b') }),
    secret('mistyped', 'kubernetes.io/dockercfg', { '.dockerconfigjson': configJson('reg.example', 'a', 'b') }),
    secret('empty', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '' }),
    secret('no-auths', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{}' }),
  )
  const { sources, missing } = pullSecretCredentials(['absent', 'opaque', 'mistyped', 'empty', 'no-auths', 'gone'], given)
  t.same(missing, ['absent', 'gone'])
  t.same(sources, [{ from: 'imagePullSecret "no-auths"', auths: {} }])
})

t.test('a pull secret whose config is not one fails the pulls that would use it, saying which', async (t) => {
  const bad = pullSecretCredentials(['bad'], objects(secret('bad', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': '{"auths": ' })))
  t.match(bad.sources, [{ from: 'imagePullSecret "bad"', error: { message: 'read imagePullSecret "bad"', cause: { message: /^not JSON: / } } }])
  t.throws(() => credentialsInOrder(bad.sources, null, 'any.example'), { message: 'read imagePullSecret "bad"' }, 'whatever the registry, as kubelet\'s keyring')
  const badAuth = pullSecretCredentials(['bad'], objects(secret('bad', 'kubernetes.io/dockercfg', { '.dockercfg': JSON.stringify({ 'reg.example': { auth: 'not-base64!' } }) })))
  t.match(badAuth.sources[0].error, { message: 'read imagePullSecret "bad"', cause: { message: '.dockercfg["reg.example"].auth: must be base64 of "user:password"' } })
})

t.test('the auth file comes after the pull secrets; a Docker Hub image takes index.docker.io\'s credentials where none names docker.io', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-creds-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('file:pw') } } }))
  const sources = [{ from: 'imagePullSecret "hub"', auths: { 'docker.io': { username: 'secret', password: 'pw' } } }]
  t.same(credentialsInOrder(sources, file, 'docker.io/library/busybox'), [
    { from: 'imagePullSecret "hub"', basic: b64('secret:pw') },
    { from: JSON.stringify(file), basic: b64('file:pw') },
  ])
  t.same(credentialsInOrder([{ from: 'x', auths: { 'docker.io': { auth: '' } } }], null, 'docker.io/library/busybox'), [], 'an empty auth and no username: no credentials')
})
