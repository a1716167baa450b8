import t from 'tap'
import { createRequire } from 'node:module'

import { makeModuleTable, type BundledModule } from '../../../src/snapshot/module-table'

type Wrapper = Extract<BundledModule, { kind: 'js' }>['wrapper']
const js = (wrapper: Wrapper): BundledModule => ({ kind: 'js', wrapper })

t.test('each module gets its own filename, dirname and a require resolved as the build resolved it', async (t) => {
  const seen: Record<string, unknown> = {}
  const table = makeModuleTable({
    '/pkg/dist/a.js': js((_exports, require, module) => {
      ;(module as { exports: unknown }).exports = { b: require('./b'), json: require('../package.json'), path: require.resolve('./b') }
    }),
    '/pkg/dist/b.js': js((exports, _require, _module, filename, dirname) => {
      seen.b = { filename, dirname }
      ;(exports as Record<string, unknown>).name = 'b'
    }),
    '/pkg/package.json': { kind: 'json', value: { name: 'pkg' } },
  }, { '/pkg/dist/a.js\0./b': '/pkg/dist/b.js', '/pkg/dist/a.js\0../package.json': '/pkg/package.json' }, () => t.fail('no built-in asked for'))
  t.same(table.load('/pkg/dist/a.js'), { b: { name: 'b' }, json: { name: 'pkg' }, path: '/pkg/dist/b.js' })
  t.same(seen.b, { filename: '/pkg/dist/b.js', dirname: '/pkg/dist' })
  t.equal(table.load('/pkg/dist/b.js'), table.load('/pkg/dist/b.js'), 'one instance per module')
})

t.test('a cycle sees the partial exports, as with Node', async (t) => {
  const table = makeModuleTable({
    '/x.js': js((exports, require) => {
      ;(exports as Record<string, unknown>).early = true
      ;(exports as Record<string, unknown>).fromY = require('./y')
    }),
    '/y.js': js((_exports, require, module) => { (module as { exports: unknown }).exports = { xSoFar: { ...(require('./x') as object) } } }),
  }, { '/x.js\0./y': '/y.js', '/y.js\0./x': '/x.js' }, () => undefined)
  t.same(table.load('/x.js'), { early: true, fromY: { xSoFar: { early: true } } })
})

t.test('what the build did not bundle: built-ins before start-up, Node\'s loader after', async (t) => {
  const asked: string[] = []
  const table = makeModuleTable({
    '/m.js': js((_e, require, module) => { (module as { exports: unknown }).exports = () => require('node:path') }),
    '/n.js': js((_e, require, module) => { (module as { exports: unknown }).exports = () => require('some-package') }),
  }, {}, (id) => { asked.push(id); if (id.startsWith('node:')) return 'builtin'; throw new Error(`no such built-in module: ${id}`) })
  t.equal((table.load('/m.js') as () => unknown)(), 'builtin')
  t.throws(() => (table.load('/n.js') as () => unknown)(), /no such built-in module: some-package/)
  const requireOf: string[] = []
  table.attachNodeLoader((from) => { requireOf.push(from); return Object.assign((id: string) => `node:${id}`, { resolve: () => '' }) as unknown as NodeJS.Require })
  t.equal((table.load('/n.js') as () => unknown)(), 'node:some-package')
  t.same(requireOf, ['/n.js'], 'resolved from the requiring file')
  t.same(asked, ['node:path', 'some-package'])
})

t.test('a module that throws is not cached, and an unknown file is an error naming it', async (t) => {
  let attempts = 0
  const table = makeModuleTable({ '/bad.js': js(() => { attempts++; throw new Error('boom') }) }, {}, createRequire(__filename))
  t.throws(() => table.load('/bad.js'), /boom/)
  t.throws(() => table.load('/bad.js'), /boom/)
  t.equal(attempts, 2)
  t.throws(() => table.load('/nope.js'), /\/nope\.js is not in the snapshot/)
})
