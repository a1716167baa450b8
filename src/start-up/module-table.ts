// The CommonJS loader for podshim's start-up bundle (build.ts). It gives each
// bundled module what Node's loader would: its own `module`, `exports`,
// `__filename`, `__dirname` and a `require` that resolves the way the build
// resolved it. A specifier the build did not bundle (a built-in, a native
// addon, ffi-rs) goes to Node's own loader, from the requiring file; the
// built-ins named lazy are handed out as stand-ins that load the real
// module on first use (commander loads child_process at its top, for
// subcommands podshim never runs: ~1 ms of every start).

/** One bundled module: its CommonJS wrapper, or a parsed JSON value. */
export type BundledModule =
  | { kind: 'js'; wrapper: (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void }
  | { kind: 'json'; value: unknown }

/** What a bundle script evaluates to. */
export interface BundlePart {
  modules: Record<string, BundledModule>
  /** `${from}\0${specifier}` → absolute path, for every edge the build resolved (in the first part). */
  resolved?: Record<string, string>
}

/** The bundled modules: a lookup by absolute path, and the resolved edges. */
export interface Bundle {
  find(file: string): BundledModule | undefined
  resolved: Record<string, string>
}

export interface ModuleTable {
  /** The exports of a bundled module, by absolute path, evaluated once. */
  load(file: string): unknown
}

/**
 * An object that forwards everything done to it (reads, writes, key
 * listings) to the module load() returns, loaded the first time. It is a
 * stand-in, not the module: `===` against the module itself is false.
 */
function lazyModule(load: () => object): object {
  let real: object | undefined
  const target = (): object => (real ??= load())
  return new Proxy({}, {
    get: (_stand, key) => Reflect.get(target(), key),
    set: (_stand, key, value) => Reflect.set(target(), key, value),
    has: (_stand, key) => Reflect.has(target(), key),
    deleteProperty: (_stand, key) => Reflect.deleteProperty(target(), key),
    defineProperty: (_stand, key, descriptor) => Reflect.defineProperty(target(), key, descriptor),
    ownKeys: () => Reflect.ownKeys(target()),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
    getOwnPropertyDescriptor: (_stand, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(target(), key)
      // a proxy may not report a property its own (empty) target lacks as non-configurable
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
    },
  })
}

export function makeModuleTable(bundle: Bundle, createRequire: (file: string) => NodeJS.Require, lazy: ReadonlySet<string> = new Set()): ModuleTable {
  const { find, resolved } = bundle
  const cache = new Map<string, { exports: unknown }>()
  const nodeRequires = new Map<string, NodeJS.Require>()

  const dirnameOf = (file: string): string => file.slice(0, Math.max(1, file.lastIndexOf('/')))

  function nodeRequire(from: string): NodeJS.Require {
    let req = nodeRequires.get(from)
    if (req === undefined) {
      req = createRequire(from)
      nodeRequires.set(from, req)
    }
    return req
  }

  function requireFrom(from: string): NodeJS.Require {
    const req = ((spec: string) => {
      const target = resolved[`${from}\0${spec}`]
      if (target !== undefined) return load(target)
      return lazy.has(spec) ? lazyModule(() => nodeRequire(from)(spec) as object) : nodeRequire(from)(spec)
    }) as NodeJS.Require
    req.resolve = ((spec: string) => resolved[`${from}\0${spec}`] ?? nodeRequire(from).resolve(spec)) as NodeJS.RequireResolve
    return req
  }

  function load(file: string): unknown {
    const cached = cache.get(file)
    if (cached !== undefined) return cached.exports
    const entry = find(file)
    if (entry === undefined) throw new Error(`load '${file}': not in the start-up bundle`)
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

  return { load }
}
