// Bearer-token auth against a real docker-registry in `auth: token` mode,
// with the test's own token service (fixtures/token-server.ts) on loopback:
// the registry refuses requests without a token, a forged token, and a
// token without the repository's scope; the client gets tokens
// anonymously for public repositories and with Basic credentials from a
// docker config.json for private ones, and says clearly when credentials
// are refused or do not reach a repository. Pull secrets are tried in turn
// before the config file, as kubelet tries each credential. Pods pull
// through `podshim run --registry-config` and through imagePullSecrets
// given beside them.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

import { unmountAllViews } from '../../../src/images/image-views'
import { parseImageSource } from '../../../src/images/reference'
import type { CredentialSource } from '../../../src/images/registry-credentials'
import { ImageStore } from '../../../src/images/store'
import { fetchSource } from '../../../src/images/store-resolver'
import { containerLines, podEnv, podManifest } from '../pod/fixtures/helpers'
import { busyboxLayer, writeLayout } from './fixtures/image-builder'
import { ensureTools, skopeoCopyAsync, startRegistry } from './fixtures/registry'
import { TEST_REGISTRY, tempDir } from './fixtures/temp-dirs'
import { startTokenServer } from './fixtures/token-server'

const skip = process.getuid?.() !== 0 ? 'needs root (layers keep ownership and device nodes)' : ensureTools()
const REGISTRY = TEST_REGISTRY

function dockerConfig(dir: string, host: string, user: string, password: string): string {
  const file = join(dir, `config-${user}-${password}.json`)
  writeFileSync(file, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }))
  return file
}

/** A pull secret's credentials, as registry-credentials.ts reads them from a Secret. */
function secretSource(name: string, host: string, user: string, password: string): CredentialSource {
  return { from: `imagePullSecret "${name}"`, auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }
}

t.test('token auth', { skip: skip ?? false }, async (t) => {
  const work = tempDir(t, 'podshim-token-images-')
  const layout = join(work, 'layout')
  writeLayout(layout, { busybox: { layers: [busyboxLayer(), [{ name: 'marker', data: 'token-image\n' }]], config: { Entrypoint: ['/bin/cat'], Cmd: ['/marker'] } } })
  const tokens = await startTokenServer(t, {
    users: {
      pusher: { password: 'push-pw', grants: { 'public/*': ['pull', 'push'], 'private/*': ['pull', 'push'], 'other/*': ['pull', 'push'] } },
      reader: { password: 'read-pw', grants: { 'private/*': ['pull'] } },
    },
    anonymous: { 'public/*': ['pull'] },
  })
  const registry = await startRegistry(t, { token: tokens })
  for (const repo of ['public/busybox', 'private/busybox', 'other/busybox']) {
    await skopeoCopyAsync(`oci:${layout}:busybox`, `docker://${registry.host}/${repo}:1`, ['--dest-creds', 'pusher:push-pw'])
  }
  const reader = dockerConfig(work, registry.host, 'reader', 'read-pw')

  t.test('the registry refuses requests without a valid token', async (t) => {
    const url = `http://${registry.host}/v2/private/busybox/manifests/1`
    const bare = await fetch(url)
    t.equal(bare.status, 401)
    const challenge = bare.headers.get('www-authenticate') ?? ''
    t.match(challenge, /^Bearer /)
    t.match(challenge, `realm="${tokens.realm}"`)
    t.match(challenge, `service="${tokens.service}"`)
    t.match(challenge, 'scope="repository:private/busybox:pull"')
    const forged = await fetch(url, { headers: { Authorization: `Bearer ${tokens.forgedToken([{ name: 'private/busybox', actions: ['pull'] }])}` } })
    t.equal(forged.status, 401, 'a token signed by an untrusted key is refused')
  })

  t.test('anonymous token for a public repository', async (t) => {
    const before = tokens.requests.length
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const record = await fetchSource(store, parseImageSource(`${registry.host}/public/busybox:1`), REGISTRY)
    t.equal(record.layers.length, 2)
    t.same(tokens.requests.slice(before), [{ user: null, scopes: ['repository:public/busybox:pull'], granted: ['repository:public/busybox:pull'] }])
  })

  t.test('a private repository without credentials: pull access denied', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/private/busybox:1`), REGISTRY), {
      name: 'RegistryError', status: 401,
      message: new RegExp(`^pull access denied for "private/busybox" on "${registry.host}": the repository does not exist or no credentials for "${registry.host}" are configured \\(--registry-config\\)`),
    })
    t.same(store.listImages(), [])
  })

  t.test('credentials from a docker config.json get a token', async (t) => {
    const before = tokens.requests.length
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const record = await fetchSource(store, parseImageSource(`${registry.host}/private/busybox:1`), { ...REGISTRY, authFile: reader })
    t.equal(record.config.entrypoint[0], '/bin/cat')
    t.same(tokens.requests.slice(before), [{ user: 'reader', scopes: ['repository:private/busybox:pull'], granted: ['repository:private/busybox:pull'] }])
  })

  t.test('wrong credentials are refused by the token service', async (t) => {
    const wrong = dockerConfig(work, registry.host, 'reader', 'wrong')
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/private/busybox:1`), { ...REGISTRY, authFile: wrong }), {
      name: 'RegistryError', status: 401,
      message: `authenticate to "${registry.host}": the token service "${tokens.realm}" refused the credentials from "${wrong}": HTTP 401 (UNAUTHORIZED: invalid username or password)`,
    })
  })

  t.test('credentials that do not cover the repository', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/other/busybox:1`), { ...REGISTRY, authFile: reader }), {
      message: new RegExp(`^pull access denied for "other/busybox" on "${registry.host}": the repository does not exist or the credentials for "${registry.host}" in "${reader.replace(/[.]/g, '\\.')}" do not allow it`),
    })
  })

  t.test('pull secrets are tried in turn, before --registry-config, as kubelet tries each credential', async (t) => {
    const before = tokens.requests.length
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const wrong = dockerConfig(work, registry.host, 'reader', 'wrong')
    const pullSecrets = [secretSource('wrong', registry.host, 'reader', 'wrong'), secretSource('right', registry.host, 'reader', 'read-pw')]
    const record = await fetchSource(store, parseImageSource(`${registry.host}/private/busybox:1`), { ...REGISTRY, authFile: wrong, pullSecrets })
    t.equal(record.config.entrypoint[0], '/bin/cat')
    // the wrong secret's request is refused before any grant; the auth file is never tried
    t.same(tokens.requests.slice(before).map((r) => r.user), ['reader', 'reader'])
    t.same(tokens.requests.slice(before).at(-1)?.granted, ['repository:private/busybox:pull'])
  })

  t.test('when every credential is refused, the error names the last one tried', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const pullSecrets = [secretSource('first', registry.host, 'reader', 'nope'), secretSource('second', registry.host, 'reader', 'wrong')]
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/private/busybox:1`), { ...REGISTRY, pullSecrets }), {
      name: 'RegistryError', status: 401,
      message: `authenticate to "${registry.host}": the token service "${tokens.realm}" refused the credentials from imagePullSecret "second": HTTP 401 (UNAUTHORIZED: invalid username or password)`,
    })
  })

  t.test('a token that does not cover the repository moves on to the next credential', async (t) => {
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const pullSecrets = [secretSource('reader', registry.host, 'reader', 'read-pw'), secretSource('pusher', registry.host, 'pusher', 'push-pw')]
    const record = await fetchSource(store, parseImageSource(`${registry.host}/other/busybox:1`), { ...REGISTRY, pullSecrets })
    t.equal(record.config.entrypoint[0], '/bin/cat')
  })

  t.test('a pull secret that is not a docker config fails the pull, before any request', async (t) => {
    const before = tokens.requests.length
    const store = new ImageStore(tempDir(t, 'podshim-data-'))
    const pullSecrets = [{ from: 'imagePullSecret "bad"', auths: {}, error: new Error('read imagePullSecret "bad"', { cause: new Error('not JSON') }) }]
    await t.rejects(fetchSource(store, parseImageSource(`${registry.host}/public/busybox:1`), { ...REGISTRY, pullSecrets }), {
      name: 'RegistryError', message: `pull from "${registry.host}": read imagePullSecret "bad"`,
    })
    t.equal(tokens.requests.length, before, 'no token asked for')
  })

  t.test('podshim run pulls with the imagePullSecrets given beside the pod', async (t) => {
    const env = podEnv(t)
    t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
    const secret = (name: string, password: string): Record<string, unknown> => ({
      apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { [registry.host]: { username: 'reader', password } } })).toString('base64') },
    })
    const pod = podManifest('secret-pull', [{ name: 'app', image: `${registry.host}/private/busybox:1` }], {
      imagePullSecrets: [{ name: 'absent' }, { name: 'stale' }, { name: '' }, { name: 'regcred' }],
    })
    const r = await env.run({ apiVersion: 'v1', kind: 'List', items: [secret('stale', 'old-pw'), secret('regcred', 'read-pw'), pod] })
    t.equal(r.code, 0, 'the pod ran', { output: r.stdout + r.stderr })
    t.same(containerLines(r.stdout, 'app'), ['token-image'])
    t.match(r.stderr, /Warning +FailedToRetrieveImagePullSecret +pod: Unable to retrieve some image pull secrets \(absent\); attempting to pull the image may not succeed\./)
    t.notMatch(r.stderr, /imagePullSecrets.*not implemented/)
    unmountAllViews(join(env.dataRoot, 'images'))
  })

  t.test('podshim run pulls with --registry-config', async (t) => {
    const env = podEnv(t)
    t.teardown(() => unmountAllViews(join(env.dataRoot, 'images')))
    const pod = podManifest('token-pull', [{ name: 'app', image: `${registry.host}/private/busybox:1` }])
    const denied = env.start(pod)
    await denied.waitFor(/pull access denied for "private\/busybox"/, 20_000)
    denied.child.kill('SIGTERM')
    await denied.result
    const r = await env.run(pod, { args: ['--registry-config', reader] })
    t.equal(r.code, 0, 'the pod ran', { output: r.stdout + r.stderr })
    t.same(containerLines(r.stdout, 'app'), ['token-image'])
    unmountAllViews(join(env.dataRoot, 'images'))
  })
})
