import t, { type Test } from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { collectModuleGraph, requiredSpecifiers } from '../../../src/start-up/module-graph'

t.test('requiredSpecifiers finds each string-literal require once, in either quote', async (t) => {
  const source = `const a = require('./a'); const b = require("b/c");\nrequire( './a' ); require(variable); require('')`
  t.same(requiredSpecifiers(source), ['./a', 'b/c'])
})

function fixture(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'podshim-graph-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  file('main.js', `require('node:fs'); require('fs'); const lib = require('./lib'); const data = require('./data.json')
    function later() { return require('./lazy') }
    // require('./gone') is only a comment
    require('dep'); require('native-dep'); require('./addon.node'); require(someVariable)`)
  file('lib/index.js', `module.exports = require('../main.js')`)
  file('lazy.js', `module.exports = 1`)
  file('data.json', `{"a": 1}`)
  file('addon.node', '')
  file('node_modules/dep/package.json', JSON.stringify({ name: 'dep', main: 'entry.js' }))
  file('node_modules/dep/entry.js', `module.exports = 'dep'`)
  file('node_modules/native-dep/index.js', `module.exports = require('./binding.node')`)
  return dir
}

t.test('collectModuleGraph follows literal requires with Node\'s resolution and leaves the rest to Node', async (t) => {
  const dir = fixture(t)
  const main = join(dir, 'main.js')
  const { files, resolved } = collectModuleGraph([main], new Set(['native-dep']))
  t.same(files, [main, join(dir, 'lib/index.js'), join(dir, 'data.json'), join(dir, 'lazy.js'), join(dir, 'node_modules/dep/entry.js')],
    'the roots, then each module once in discovery order, lazy requires included')
  t.same(resolved, {
    [`${main}\0./lib`]: join(dir, 'lib/index.js'),
    [`${main}\0./data.json`]: join(dir, 'data.json'),
    [`${main}\0./lazy`]: join(dir, 'lazy.js'),
    [`${main}\0dep`]: join(dir, 'node_modules/dep/entry.js'),
    [`${join(dir, 'lib/index.js')}\0../main.js`]: main,
  }, 'built-ins, external packages, .node files and unresolvable names are not bundled')
})
