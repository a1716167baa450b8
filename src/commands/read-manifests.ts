// The manifest texts `podshim run` is given, read as `kubectl apply -f`
// reads its -f arguments: each a file, "-" for stdin, or a directory,
// which stands for its files ending in .json, .yaml or .yml, in name
// order, not those of its subdirectories (kubectl without -R). A Pod's
// ConfigMaps and Secrets can so sit in files of their own beside it.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import type { ManifestText } from '../spec/load'
import { OptionError } from './option-error'

/** kubectl's FileExtensions: what a directory's files must end in to be read. */
const MANIFEST_EXTENSIONS = ['.json', '.yaml', '.yml']

/** The texts of the manifests `files` name, in order. */
export function readManifests(files: readonly string[]): ManifestText[] {
  if (files.filter((file) => file === '-').length > 1) throw new OptionError('"-" (stdin) may be given once')
  return files.flatMap((file) => (file !== '-' && isDirectory(file) ? directoryManifests(file) : [readManifest(file)]))
}

function readManifest(file: string): ManifestText {
  try {
    return file === '-' ? { text: readFileSync(0, 'utf8'), source: '<stdin>' } : { text: readFileSync(file, 'utf8'), source: file }
  } catch (err) {
    throw new Error(`read manifest "${file}"`, { cause: err })
  }
}

function isDirectory(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isDirectory() === true
}

function directoryManifests(dir: string): ManifestText[] {
  let names: string[]
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory() && MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext)))
      .map((entry) => entry.name)
      .sort()
  } catch (err) {
    throw new Error(`read manifests in "${dir}"`, { cause: err })
  }
  if (names.length === 0) throw new Error(`read manifests in "${dir}": it has no ${MANIFEST_EXTENSIONS.join(', ')} files`)
  return names.map((name) => readManifest(join(dir, name)))
}
