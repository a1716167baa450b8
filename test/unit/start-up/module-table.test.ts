import t, { type Test } from 'tap'
import { createRequire } from 'node:module'

import { makeModuleTable, type BundledModule } from '../../../src/start-up/module-table'

type Wrapper = Extract<BundledModule, { kind: 'js' }>['wrapper']
const js = (wrapper: Wrapper): BundledModule => ({ kind: 'js', wrapper })
const table = (modules: Record<string, BundledModule>, resolved: Record<string, string>, createRequire: (file: string) => NodeJS.Require, lazy?: Set<string>) =>
  makeModuleTable({ find: (file) => modules[file], resolved }, createRequire, lazy)
const noNode = (t: Test) => (): NodeJS.Require => { t.fail('Node\'s loader not asked for'); return require }

t.test('each module gets its own filename, dirname and a require resolved as the build resolved it', async (t) => {
  const seen: Record<string, unknown> = {}
  const modules = table({
    '/pkg/dist/a.js': js((_exports, require, module) => {
      ;(module as { exports: unknown }).exports = { b: require('./b'), json: require('../package.json'), path: require.resolve('./b') }
    }),
    '/pkg/dist/b.js': js((exports, _require, _module, filename, dirname) => {
      seen.b = { filename, dirname }
      ;(exports as Record<string, unknown>).name = 'b'
    }),
    '/pkg/package.json': { kind: 'json', value: { name: 'pkg' } },
  }, { '/pkg/dist/a.js\0./b': '/pkg/dist/b.js', '/pkg/dist/a.js\0../package.json': '/pkg/package.json' }, noNode(t))
  t.same(modules.load('/pkg/dist/a.js'), { b: { name: 'b' }, json: { name: 'pkg' }, path: '/pkg/dist/b.js' })
  t.same(seen.b, { filename: '/pkg/dist/b.js', dirname: '/pkg/dist' })
  t.equal(modules.load('/pkg/dist/b.js'), modules.load('/pkg/dist/b.js'), 'one instance per module')
})

t.test('a cycle sees the partial exports, as with Node', async (t) => {
  const modules = table({
    '/x.js': js((exports, require) => {
      ;(exports as Record<string, unknown>).early = true
      ;(exports as Record<string, unknown>).fromY = require('./y')
    }),
    '/y.js': js((_exports, require, module) => { (module as { exports: unknown }).exports = { xSoFar: { ...(require('./x') as object) } } }),
  }, { '/x.js\0./y': '/y.js', '/y.js\0./x': '/x.js' }, noNode(t))
  t.same(modules.load('/x.js'), { early: true, fromY: { xSoFar: { early: true } } })
})

t.test('what the build did not bundle goes to Node\'s loader, from the requiring file', async (t) => {
  const requireOf: string[] = []
  const modules = table({
    '/n.js': js((_e, require, module) => { (module as { exports: unknown }).exports = () => require('some-package') }),
  }, {}, (from) => { requireOf.push(from); return Object.assign((id: string) => `node:${id}`, { resolve: () => '' }) as unknown as NodeJS.Require })
  t.equal((modules.load('/n.js') as () => unknown)(), 'node:some-package')
  t.same(requireOf, ['/n.js'])
})

t.test('a lazy built-in loads on its first use, and then behaves as the module', async (t) => {
  const loaded: string[] = []
  const real = { spawn: (cmd: string) => `spawned ${cmd}`, constants: { x: 1 } }
  const modules = table({
    '/c.js': js((_e, require, module) => { (module as { exports: unknown }).exports = require('node:child_process') }),
  }, {}, () => Object.assign((id: string) => { loaded.push(id); return real }, { resolve: () => '' }) as unknown as NodeJS.Require, new Set(['node:child_process']))
  const cp = modules.load('/c.js') as typeof real
  t.same(loaded, [], 'not loaded by the require')
  t.equal(cp.spawn('ls'), 'spawned ls')
  t.same(loaded, ['node:child_process'])
  t.ok('constants' in cp)
  t.same(Object.keys(cp), ['spawn', 'constants'])
  t.same({ ...cp }.constants, { x: 1 })
  cp.spawn('again')
  t.same(loaded, ['node:child_process'], 'loaded once')
  ;(cp as Record<string, unknown>).added = 1
  t.equal((real as Record<string, unknown>).added, 1, 'a write reaches the module')
  t.equal(Object.getPrototypeOf(cp), Object.prototype)
})

t.test('a module that throws is not cached, and an unknown file is an error naming it', async (t) => {
  let attempts = 0
  const modules = table({ '/bad.js': js(() => { attempts++; throw new Error('boom') }) }, {}, createRequire(__filename))
  t.throws(() => modules.load('/bad.js'), /boom/)
  t.throws(() => modules.load('/bad.js'), /boom/)
  t.equal(attempts, 2)
  t.throws(() => modules.load('/nope.js'), { message: "load '/nope.js': not in the start-up bundle" })
})
