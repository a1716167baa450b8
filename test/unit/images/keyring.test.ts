import t from 'tap'
import { keyMatches, keyringKey, keyringLookup, type KeyringSource } from '../../../src/images/keyring'

const auth = (user: string): { auth: string } => ({ auth: Buffer.from(`${user}:pw`).toString('base64') })
const users = (found: { basic: string }[]): string[] => found.map((c) => Buffer.from(c.basic, 'base64').toString().split(':')[0])

t.test('keys as kubelet makes them: no scheme, no leading /v1/ or /v2/, the path kept', async (t) => {
  t.equal(keyringKey('https://index.docker.io/v1/'), 'index.docker.io')
  t.equal(keyringKey('http://reg.example:5000/v2/team/app'), 'reg.example:5000/team/app')
  t.equal(keyringKey('reg.example/team'), 'reg.example/team')
  t.equal(keyringKey('reg.example/'), 'reg.example')
})

t.test('a key matches a host of as many parts, each a glob, the same port, and a path under its own', async (t) => {
  t.ok(keyMatches('reg.example', 'reg.example/team/app'))
  t.ok(keyMatches('reg.example/team', 'reg.example/team/app'))
  t.notOk(keyMatches('reg.example/other', 'reg.example/team/app'), 'another path')
  t.ok(keyMatches('*.azurecr.io', 'me.azurecr.io/app'))
  t.notOk(keyMatches('*.azurecr.io', 'a.b.azurecr.io/app'), 'a glob matches one part')
  t.ok(keyMatches('reg-?.example', 'reg-1.example/app'))
  t.ok(keyMatches('reg-[!x].example', 'reg-1.example/app'))
  t.notOk(keyMatches('reg.example:5000', 'reg.example/app'), 'a port must match')
  t.notOk(keyMatches('reg.example', 'reg.example:5000/app'))
  t.ok(keyMatches('127.0.0.1:5099', '127.0.0.1:5099/myrepo/img'))
  t.ok(keyMatches('*.0.0.1:5099', '127.0.0.1:5099/myrepo/img'))
})

t.test('every matching entry of every source, most specific first', async (t) => {
  const sources: KeyringSource[] = [
    { from: 's1', auths: { '127.0.0.1:5099/other': auth('three'), '127.0.0.1:5099/myrepo': auth('one') } },
    { from: 's2', auths: { '*.0.0.1:5099': auth('two'), '127.0.0.1:5099': auth('host') } },
  ]
  t.same(users(keyringLookup(sources, '127.0.0.1:5099/myrepo/img')), ['one', 'host', 'two'], 'the path first, then the host, then the glob (reverse sorted keys)')
  t.same(keyringLookup(sources, '127.0.0.1:5099/myrepo/img').map((c) => c.from), ['s1', 's2', 's2'])
  t.same(users(keyringLookup(sources, '127.0.0.1:5099/other/img')), ['three', 'host', 'two'])
})

t.test('Docker Hub: index.docker.io\'s credentials where no key names the image', async (t) => {
  const sources = [{ from: 'cfg', auths: { 'https://index.docker.io/v1/': auth('hub') } }]
  t.same(users(keyringLookup(sources, 'docker.io/library/busybox')), ['hub'])
  t.same(users(keyringLookup(sources, 'reg.example/busybox')), [], 'not for another registry')
  t.same(users(keyringLookup([{ from: 'x', auths: { 'docker.io': auth('own'), 'index.docker.io': auth('hub') } }], 'docker.io/library/busybox')), ['own'], 'a key of its own first, and then only that')
})
