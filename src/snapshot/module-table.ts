// The CommonJS loader inside podshim's start-up snapshot. build.ts embeds
// `makeModuleTable`'s source text in the snapshot's entry script, so this
// function must stay self-contained: no imports, nothing from outside its
// own body.
//
// It gives each bundled module what Node's loader would: its own `module`,
// `exports`, `__filename`, `__dirname` and a `require` that resolves the way
// the build resolved it. A specifier the build did not bundle (a built-in,
// a native addon, ffi-rs) goes to Node's own loader, which exists only once
// the snapshot has been deserialized: before that (while the snapshot is
// being built) only built-ins can load, and anything else is an error that
// names the module and the file asking for it (Node's own message).

/** One bundled module: its CommonJS wrapper, or a parsed JSON value. */
export type BundledModule =
  | { kind: 'js'; wrapper: (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void }
  | { kind: 'json'; value: unknown }

export interface ModuleTable {
  /** The exports of a bundled module, by absolute path, evaluated once. */
  load(file: string): unknown
  /** After deserialization: Node's createRequire, for what the bundle leaves to Node. */
  attachNodeLoader(createRequire: (file: string) => NodeJS.Require): void
}

export function makeModuleTable(
  modules: Record<string, BundledModule>,
  resolved: Record<string, string>,
  builtinRequire: (id: string) => unknown,
): ModuleTable {
  const cache = new Map<string, { exports: unknown }>()
  let createRequire: ((file: string) => NodeJS.Require) | undefined

  const dirnameOf = (file: string): string => file.slice(0, Math.max(1, file.lastIndexOf('/')))

  function outside(from: string, spec: string): unknown {
    return createRequire === undefined ? builtinRequire(spec) : createRequire(from)(spec)
  }

  function requireFrom(from: string): NodeJS.Require {
    const req = ((spec: string) => {
      const target = resolved[`${from}\0${spec}`]
      return target === undefined ? outside(from, spec) : load(target)
    }) as NodeJS.Require
    req.resolve = ((spec: string) => {
      const target = resolved[`${from}\0${spec}`]
      if (target !== undefined) return target
      if (createRequire === undefined) throw new Error(`resolve '${spec}' (from ${from}) before start-up`)
      return createRequire(from).resolve(spec)
    }) as NodeJS.RequireResolve
    return req
  }

  function load(file: string): unknown {
    const cached = cache.get(file)
    if (cached !== undefined) return cached.exports
    const entry = modules[file]
    if (entry === undefined) throw new Error(`${file} is not in the snapshot`)
    const module = { id: file, filename: file, path: dirnameOf(file), exports: {} as unknown, loaded: false }
    cache.set(file, module)
    if (entry.kind === 'json') module.exports = entry.value
    else {
      try {
        entry.wrapper.call(module.exports, module.exports, requireFrom(file), module, file, dirnameOf(file))
      } catch (err) {
        cache.delete(file)
        throw err
      }
    }
    module.loaded = true
    return module.exports
  }

  return {
    load,
    attachNodeLoader(nodeCreateRequire) {
      createRequire = nodeCreateRequire
    },
  }
}
