// `podshim image pull|load|ls|rm|inspect|prune`: the image store from the
// command line, sharing the store and the pull code with `podshim run`.
// Progress: one redrawn line per layer on a TTY, a line per layer state
// otherwise. Registry options: --insecure-registry (plain HTTP; loopback
// always is) and --registry-config (a docker config.json with credentials),
// checked with --data-root before anything is done (image-options.ts).
// `load` takes every image of an archive, as `docker load` (image-load.ts),
// also from stdin ("-"). The built-in image `podshim/host` is in no store:
// ls lists it, inspect shows it, pull refuses it, rm and prune never remove
// it (builtin-image.ts), and no stored image is given its name. --data-root
// is checked (and "" refused) as a usage error in image-options.ts.
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { Command, Option } from 'commander'

import { pruneImages, removeImage } from '../images/image-gc'
import { type LoadSource, type LocalSource, loadImages, loadedLines } from '../images/image-load'
import { isHostImage } from '../images/host-image'
import { PullProgress } from '../images/pull-progress'
import { absoluteSource, formatDockerReference, parseDockerReference, parseImageSource, sourceName, type ImageSource } from '../images/reference'
import type { RegistryOptions } from '../images/registry-client'
import type { ImageStore } from '../images/store'
import { fetchSource } from '../images/store-resolver'
import { BUILT_IN_REASON, builtInInspect, isBuiltInName, refusedNameWarning } from '../images/builtin-image'
import { LayerSizes } from '../images/image-size'
import { describeError } from '../supervisor/describe-error'
import { imageRows } from './image-list'
import { checkRegistryConfig, storeToEmpty, storeToFill, storeToRead } from './image-options'

const DEFAULT_DATA_ROOT = '/var/lib/podshim'

const TRANSPORT = /^(oci|oci-archive|docker-archive):/

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
  if (TRANSPORT.test(name)) return sourceName(absoluteSource(parseImageSource(name), process.cwd()))
  if (store.findImage(name) !== null) return name
  try {
    return formatDockerReference(parseDockerReference(name))
  } catch {
    return name
  }
}

/** that a layout or archive is there, before any store is made for it */
function checkLocal(verb: string, given: string, source: ImageSource): void {
  if (source.transport === 'docker') return
  const path = source.transport === 'oci' ? source.dir : source.file
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) throw new Error(`${verb} "${given}": "${path}" does not exist`)
  if (source.transport === 'oci' && !stat.isDirectory()) throw new Error(`${verb} "${given}": "${path}" is not a directory (an OCI layout is one)`)
  if (source.transport !== 'oci' && stat.isDirectory()) throw new Error(`${verb} "${given}": "${path}" is a directory, not an archive (load it as oci:${path})`)
}

/**
 * What `image load` reads: a transport name as given; "-" stdin, as
 * `docker load` reads it; a directory an OCI layout; any other file an
 * archive whose members tell its kind, named by its path when it is a
 * regular file (a pipe cannot be read again).
 */
function loadSourceOf(path: string): LoadSource {
  if (path === '-') return { transport: 'archive', file: '-', isNamed: false }
  if (TRANSPORT.test(path)) {
    const source = absoluteSource(parseImageSource(path), process.cwd()) as LocalSource
    checkLocal('load', path, source)
    return source
  }
  const stat = statSync(path, { throwIfNoEntry: false })
  if (stat === undefined) throw new Error(`load "${path}": no such file or directory`)
  const full = resolve(path)
  if (stat.isDirectory()) return { transport: 'oci', dir: full, tag: null }
  return { transport: 'archive', file: full, isNamed: stat.isFile() }
}

function warn(verb: string): (message: string) => void {
  return (message) => process.stderr.write(`podshim: warning: ${verb}: ${message}\n`)
}

async function pull(ref: string, o: CommonOptions, cmd: Command): Promise<void> {
  if (isBuiltInName(ref)) throw new Error(`pull "${ref}": it is built in (a view of this host's system directories), there is nothing to pull`)
  const source = absoluteSource(parseImageSource(ref), process.cwd())
  checkRegistryConfig(cmd)
  const store = storeToFill(cmd, () => checkLocal('pull', ref, source))
  const progress = new PullProgress(process.stderr)
  const name = sourceName(source)
  const record = await fetchSource(store, source, registryOptions(o), progress.forImage(name), warn('pull')).finally(() => progress.finish(name))
  process.stdout.write(`${record.id}\n`)
}

/** as `docker load`: every image of the archive, a line for each as it is stored */
async function load(path: string, cmd: Command): Promise<void> {
  let source: LoadSource | undefined
  // the data root first, then that the source is there, then the store: nothing is read or made for a load that cannot be
  const store = storeToFill(cmd, () => { source = loadSourceOf(path) })
  let count = 0
  for await (const image of loadImages(store, source!, new PullProgress(process.stderr))) {
    count++
    process.stdout.write(loadedLines(image).join('\n') + '\n')
    for (const name of image.refused) warn('load')(refusedNameWarning(name, image.record.id))
  }
  if (count === 0) throw new Error(`load "${path}": the ${source!.transport === 'oci' ? 'layout' : 'archive'} holds no images`)
}

/** SIZE is the unpacked size, as `docker images` shows it (image-size.ts) */
function list(cmd: Command): void {
  const rows = imageRows(storeToRead(cmd))
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  for (const row of rows) process.stdout.write(row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd() + '\n')
}

/** as `docker rmi`: each name in turn, a failure reported and the rest still removed; rc 1 when any failed */
function remove(names: string[], cmd: Command): void {
  const store = storeToEmpty(cmd)
  let isFailed = false
  for (const name of names) {
    try {
      removeOne(store, name)
    } catch (err) {
      process.stderr.write(`podshim: ${describeError(err)}\n`)
      isFailed = true
    }
  }
  if (isFailed) process.exitCode = 1
}

function removeOne(store: ImageStore | null, name: string): void {
  let stored: string | undefined
  if (isBuiltInName(name)) {
    // a store of an older podshim may have given a loaded image the built-in image's name: that name can go
    stored = store === null ? undefined : Object.keys(store.readRefs()).find(isHostImage)
    if (stored === undefined) throw new Error(`remove image "${name}": ${BUILT_IN_REASON}`)
  }
  stored ??= store === null ? name : storedName(store, name)
  // named as given, not as normalised
  if (store === null || store.findImage(stored) === null) throw new Error(`remove image "${name}": no such image`)
  const { id } = removeImage(store, stored)
  // as docker rmi: a name taken off an image that keeps others is an untag, not a removal
  process.stdout.write(store.getImage(id) === null ? `removed ${id}\n` : `untagged ${stored}\n`)
}

/** the stored record, with its names, unpacked size and layer directories; the built-in image's in that shape */
function inspect(name: string, cmd: Command): void {
  const store = storeToRead(cmd)
  if (isBuiltInName(name)) {
    process.stdout.write(JSON.stringify(builtInInspect(), null, 2) + '\n')
    return
  }
  const r = store === null ? null : store.findImage(storedName(store, name)) ?? store.findImage(`oci:${resolve(name)}`)
  if (r === null) throw new Error(`inspect image "${name}": no such image`)
  const shown = { ...r, size: new LayerSizes(store!, [r]).imageSize(r), names: store!.namesOf(r.id), layerDirs: r.layers.map((l) => store!.layerPath(l.diffId)) }
  process.stdout.write(JSON.stringify(shown, null, 2) + '\n')
}

function prune(cmd: Command): void {
  const store = storeToEmpty(cmd)
  for (const r of store === null ? [] : pruneImages(store)) process.stdout.write(`removed ${r.id}\n`)
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('manage the image store (pull, load, ls, rm, inspect, prune)')
  common(image.command('pull').description('pull an image from a registry (or oci:, oci-archive:, docker-archive:)').argument('<image>'))
    .action(async (ref: string, o: CommonOptions, cmd: Command) => pull(ref, o, cmd))
  common(image.command('load').description('load every image of an OCI layout directory, an OCI archive or a docker save archive ("-": from stdin; one with :TAG)').argument('<path>'))
    .action(async (path: string, _o: CommonOptions, cmd: Command) => load(path, cmd))
  common(image.command('ls').description('list the built-in image and stored images (SIZE: unpacked, as docker images shows it)'))
    .action((_o: CommonOptions, cmd: Command) => list(cmd))
  common(image.command('rm').description('remove images by name or ID (a running pod\'s image keeps its last name; the built-in one cannot be removed)').argument('<image...>'))
    .action((names: string[], _o: CommonOptions, cmd: Command) => remove(names, cmd))
  common(image.command('inspect').description('print an image\'s record as JSON (the built-in one\'s in the same shape)').argument('<image>'))
    .action((name: string, _o: CommonOptions, cmd: Command) => inspect(name, cmd))
  common(image.command('prune').description('remove every stored image no running pod uses, and unreferenced blobs and layers'))
    .action((_o: CommonOptions, cmd: Command) => prune(cmd))
}
