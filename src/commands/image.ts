// `podshim image pull|load|ls|rm|inspect|prune`: the image store from the
// command line, sharing the store and the pull code with `podshim run`.
// Progress: one redrawn line per layer on a TTY, a line per layer state
// otherwise. Registry options: --insecure-registry (plain HTTP; loopback
// always is) and --registry-config (a docker config.json with credentials).
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command, Option } from 'commander'

import { pruneImages, removeImage } from '../images/image-gc'
import { PullProgress } from '../images/pull-progress'
import { absoluteSource, formatDockerReference, parseDockerReference, parseImageSource, sourceName, type ImageSource } from '../images/reference'
import type { RegistryOptions } from '../images/registry-client'
import { ImageStore } from '../images/store'
import { fetchSource } from '../images/store-resolver'
import { archiveKind } from '../images/blob-source'

const DEFAULT_DATA_ROOT = '/var/lib/podshim'

interface CommonOptions { dataRoot: string; insecureRegistry: string[]; registryConfig?: string }

function common(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-root <dir>', 'images and emptyDir volumes').env('PODSHIM_DATA_ROOT').default(DEFAULT_DATA_ROOT))
    .addOption(new Option('--insecure-registry <host:port>', 'reach this registry over plain HTTP (repeatable; loopback always is)')
      .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]).default((process.env.PODSHIM_INSECURE_REGISTRIES ?? '').split(',').filter((s) => s !== '')))
    .addOption(new Option('--registry-config <file>', 'docker config.json with registry credentials').env('PODSHIM_REGISTRY_CONFIG'))
}

export function registryOptions(o: CommonOptions): RegistryOptions {
  return { insecureRegistries: o.insecureRegistry, authFile: o.registryConfig ?? null }
}

/**
 * The name an image is stored under: a local layout's or archive's path
 * made absolute (absoluteSource); a name or ID the store has as given; else
 * the name normalised as a pod's image is (`busybox:1.36` is
 * `docker.io/library/busybox:1.36`), as docker and crictl take short names.
 */
function storedName(store: ImageStore, name: string): string {
  if (/^(oci|oci-archive|docker-archive):/.test(name)) return sourceName(absoluteSource(parseImageSource(name), process.cwd()))
  if (store.findImage(name) !== null) return name
  try {
    return formatDockerReference(parseDockerReference(name))
  } catch {
    return name
  }
}

async function loadSourceOf(path: string): Promise<ImageSource> {
  if (/^(oci|oci-archive|docker-archive):/.test(path)) return absoluteSource(parseImageSource(path), process.cwd())
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) throw new Error(`load "${path}": no such file or directory`)
  const full = resolve(path)
  if (stat.isDirectory()) return { transport: 'oci', dir: full, tag: null }
  return await archiveKind(full) === 'docker-archive' ? { transport: 'docker-archive', file: full, ref: null } : { transport: 'oci-archive', file: full, tag: null }
}

async function fetchAndReport(source: ImageSource, o: CommonOptions): Promise<void> {
  const store = new ImageStore(o.dataRoot)
  const progress = new PullProgress(process.stderr)
  const name = sourceName(source)
  const record = await fetchSource(store, source, registryOptions(o), progress.forImage(name)).finally(() => progress.finish(name))
  process.stdout.write(`${record.id}\n`)
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('manage the image store (pull, load, ls, rm, inspect, prune)')
  common(image.command('pull').description('pull an image from a registry (or oci:, oci-archive:, docker-archive:)').argument('<image>'))
    .action(async (ref: string, o: CommonOptions) => fetchAndReport(absoluteSource(parseImageSource(ref), process.cwd()), o))
  common(image.command('load').description('load an image from an OCI layout directory, an OCI archive or a docker save archive').argument('<path>'))
    .action(async (path: string, o: CommonOptions) => fetchAndReport(await loadSourceOf(path), o))
  common(image.command('ls').description('list stored images'))
    .action((o: CommonOptions) => {
      const store = new ImageStore(o.dataRoot)
      const rows = [['IMAGE', 'IMAGE ID', 'SIZE', 'PLATFORM']]
      for (const r of store.listImages()) {
        const size = `${(r.layers.reduce((n, l) => n + l.size, 0) / 1e6).toFixed(1)}MB`
        for (const name of store.namesOf(r.id).filter((n) => !n.includes('@')).concat(store.namesOf(r.id).every((n) => n.includes('@')) ? ['<none>'] : [])) {
          rows.push([name, r.id.slice(7, 19), size, r.platform])
        }
      }
      const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
      for (const row of rows) process.stdout.write(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n')
    })
  common(image.command('rm').description('remove images by name or ID (not those a running pod uses)').argument('<image...>'))
    .action((names: string[], o: CommonOptions) => {
      const store = new ImageStore(o.dataRoot)
      for (const name of names) {
        const stored = storedName(store, name)
        const { id } = removeImage(store, stored)
        // as docker rmi: a name taken off an image that keeps others is an untag, not a removal
        process.stdout.write(store.getImage(id) === null ? `removed ${id}\n` : `untagged ${stored}\n`)
      }
    })
  common(image.command('inspect').description('print the stored record of an image as JSON').argument('<image>'))
    .action((name: string, o: CommonOptions) => {
      const store = new ImageStore(o.dataRoot)
      const r = store.findImage(storedName(store, name)) ?? store.findImage(`oci:${resolve(name)}`)
      if (r === null) throw new Error(`inspect image "${name}": no such image`)
      process.stdout.write(JSON.stringify({ ...r, names: store.namesOf(r.id), layerDirs: r.layers.map((l) => store.layerPath(l.diffId)) }, null, 2) + '\n')
    })
  common(image.command('prune').description('remove every image no running pod uses, and unreferenced blobs and layers'))
    .action((o: CommonOptions) => {
      for (const r of pruneImages(new ImageStore(o.dataRoot))) process.stdout.write(`removed ${r.id}\n`)
    })
}
