// Where the prober script is. Built, it is dist/probes/prober-main.js beside
// this file. Run from source (tests through a TypeScript loader), the
// prober's few files are transpiled once into a directory named after their
// content hash, since a plain `node` cannot run .ts on Node 20: under the
// checkout's node_modules/.cache, so that nothing of a test run stays in
// the machine's temp directory.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The files the prober process loads (prober-main.ts imports only these). */
const PROBER_MODULES = ['prober-main', 'prober-net', 'prober-grpc', 'prober-protocol']

let cached: string | undefined

export function proberScriptPath(): string {
  if (cached !== undefined) return cached
  const built = join(__dirname, 'prober-main.js')
  if (existsSync(built)) return (cached = built)
  const sources = PROBER_MODULES.map((name) => [name, readFileSync(join(__dirname, `${name}.ts`), 'utf8')] as const)
  const hash = createHash('sha256')
  for (const [name, text] of sources) hash.update(name).update('\0').update(text).update('\0')
  const dir = join(__dirname, '..', '..', 'node_modules', '.cache', 'podshim-prober', hash.digest('hex').slice(0, 16))
  const script = join(dir, 'prober-main.js')
  if (existsSync(script)) return (cached = script)
  // typescript is a dev dependency: only reached when running from source
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript')
  const staging = `${dir}.${process.pid}`
  mkdirSync(staging, { recursive: true, mode: 0o755 })
  for (const [name, text] of sources) {
    const out = ts.transpileModule(text, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: `${name}.ts`,
    })
    writeFileSync(join(staging, `${name}.js`), out.outputText)
  }
  try {
    renameSync(staging, dir)
  } catch {
    // another process made it first
    rmSync(staging, { recursive: true, force: true })
  }
  return (cached = script)
}
