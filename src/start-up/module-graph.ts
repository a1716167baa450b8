// Which files go into the start-up bundle: every CommonJS module reachable
// from the roots through a `require('literal')`, each specifier resolved by
// Node's own resolver from the requiring file, exactly as it would be at
// run time. Left to Node at run time: built-ins, native addons, the
// packages named in `external` (ffi-rs loads one), and every require whose
// argument is not a string literal or does not resolve (a regex finds
// candidates in comments too; those simply stay unresolved).

import { readFileSync } from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'

export interface ModuleGraph {
  /** Absolute paths of the modules to bundle, in discovery order. */
  files: string[]
  /** `${from}\0${specifier}` → absolute path, for every bundled edge. */
  resolved: Record<string, string>
}

const REQUIRE_CALL = /\brequire\(\s*(['"])([^'"\n]+)\1\s*\)/g

/** The string-literal specifiers a CommonJS source requires. */
export function requiredSpecifiers(source: string): string[] {
  return [...new Set([...source.matchAll(REQUIRE_CALL)].map((m) => m[2]))]
}

function packageName(spec: string): string {
  const parts = spec.split('/')
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

export function collectModuleGraph(roots: string[], external: ReadonlySet<string>, read = (f: string) => readFileSync(f, 'utf8')): ModuleGraph {
  const files: string[] = []
  const resolved: Record<string, string> = {}
  const seen = new Set<string>()
  const queue = [...roots]
  for (const root of roots) seen.add(root)
  while (queue.length > 0) {
    const file = queue.shift() as string
    files.push(file)
    if (!file.endsWith('.js') && !file.endsWith('.cjs')) continue
    const requireHere = createRequire(file)
    for (const spec of requiredSpecifiers(read(file))) {
      if (isBuiltin(spec) || external.has(packageName(spec))) continue
      let target: string
      try {
        target = requireHere.resolve(spec)
      } catch {
        continue
      }
      if (!/\.(c?js|json)$/.test(target)) continue
      resolved[`${file}\0${spec}`] = target
      if (!seen.has(target)) {
        seen.add(target)
        queue.push(target)
      }
    }
  }
  return { files, resolved }
}
