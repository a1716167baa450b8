import t from 'tap'
import { Script } from 'node:vm'

import { asciiSource, bundleScript } from '../../../src/start-up/build'
import type { BundlePart } from '../../../src/start-up/module-table'

const run = (source: string): unknown => new Script(source).runInThisContext()

t.test('non-ASCII characters become escapes that mean the same', async (t) => {
  const source = '(() => { const café = "→ ≥ µ 😀"; const re = /[é]/u; // a comment — with a dash\nreturn [café, re.test("é"), `→${1}`] })()'
  const ascii = asciiSource('m.js', source)
  t.match(ascii, /^[\x00-\x7f]*$/, 'ASCII only')
  t.same(run(ascii), run(source))
})

t.test('a source where an escape could change the meaning is refused, naming the file', async (t) => {
  t.throws(() => asciiSource('a.js', '"\\é"'), { message: "bundle 'a.js': a non-ASCII character after a backslash cannot be written as an escape" })
  t.throws(() => asciiSource('b.js', '1 // x\u2028+1'), /bundle 'b\.js': U\+2028, U\+2029 or U\+FEFF/)
  t.throws(() => asciiSource('c.js', 'let\u00a0x = "é"'), /bundle 'c\.js': non-ASCII whitespace/)
  t.throws(() => asciiSource('d.js', 'String.raw`é`'), /bundle 'd\.js': it reads a template's raw text/)
  t.equal(asciiSource('e.js', 'String.raw`plain`'), 'String.raw`plain`', 'an ASCII source is left as it is')
})

t.test('a bundle script: each module in its wrapper, JSON parsed, BOM and #! dropped, ASCII only', async (t) => {
  const files: Record<string, string> = {
    '/p/é.js': '\ufeff#!/usr/bin/env node\nmodule.exports = { name: __filename, text: "→" }',
    '/p/data.json': '{"arrow": "→"}',
  }
  const script = bundleScript(Object.keys(files), (f) => files[f], { '/p/é.js\0./data.json': '/p/data.json' })
  t.match(script, /^[\x00-\x7f]*$/)
  const part = run(script) as BundlePart
  t.same(part.resolved, { '/p/é.js\0./data.json': '/p/data.json' })
  t.same(part.modules['/p/data.json'], { kind: 'json', value: { arrow: '→' } })
  const module = { exports: {} as unknown }
  const entry = part.modules['/p/é.js']
  if (entry.kind !== 'js') throw new Error('not a script')
  entry.wrapper(module.exports, require, module, '/p/é.js', '/p')
  t.same(module.exports, { name: '/p/é.js', text: '→' })
})
