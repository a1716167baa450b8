// The image commands' options that only the file system can check, checked
// before anything is read or made, as `podshim run` checks its own
// (check-run-options.ts, whose rootProblem, registry config check and
// OptionError these share):
// --data-root must be a directory the commands that write (pull, load, rm,
// prune) can make the store in; the commands that only read (ls, inspect)
// make nothing, and a data root with no store is an empty one.
// --registry-config must be a docker config.json (readAuthFile), so a typo
// fails at once rather than when a registry first asks for credentials.
import { join, resolve } from 'node:path'
import type { Command } from 'commander'

import { ImageStore } from '../images/store'
import { checkRegistryConfigFile, rootProblem } from './check-run-options'
import { OptionError, optionText } from './option-error'

/** The option's text for its messages: its value, and the variable that gave it. */
function optionValue(cmd: Command, flag: string, key: string): string {
  const env = cmd.options.find((o) => o.attributeName() === key)?.envVar
  return optionText(flag, cmd.getOptionValue(key), cmd.getOptionValueSource(key) === 'env' ? env : undefined)
}

/** --data-root, absolute (as `run` has it: layerDirs and views are shown and mounted by it); "" would be the current directory */
function dataRootOf(cmd: Command): string {
  const dataRoot = cmd.getOptionValue('dataRoot') as string
  if (dataRoot === '') throw new OptionError(`${optionValue(cmd, '--data-root', 'dataRoot')}: must be a directory`)
  return resolve(dataRoot)
}

function checkWritableDataRoot(cmd: Command): string {
  const dataRoot = dataRootOf(cmd)
  const problem = rootProblem(dataRoot)
  if (problem !== null) throw new OptionError(`${optionValue(cmd, '--data-root', 'dataRoot')}: ${problem}`)
  return dataRoot
}

function opened(dataRoot: string, open: () => ImageStore): ImageStore {
  try {
    return open()
  } catch (err) {
    throw new Error(`open image store "${join(dataRoot, 'images')}"`, { cause: err })
  }
}

/**
 * The store for pull and load: made under --data-root where missing, once
 * checkSource (that what is to be stored exists) passes, so a mistyped
 * source makes nothing.
 */
export function storeToFill(cmd: Command, checkSource: () => void = () => undefined): ImageStore {
  const dataRoot = checkWritableDataRoot(cmd)
  // an `images` that is a file: the usage error ls and rm give
  storeToRead(cmd)
  checkSource()
  return opened(dataRoot, () => new ImageStore(dataRoot))
}

/** The store for rm and prune: null when --data-root has none (nothing to remove, nothing made). */
export function storeToEmpty(cmd: Command): ImageStore | null {
  const dataRoot = checkWritableDataRoot(cmd)
  const store = storeToRead(cmd)
  // made in full: a store from an older podshim may lack a directory these use
  return store === null ? null : opened(dataRoot, () => new ImageStore(dataRoot))
}

/** The store for ls and inspect, or null when --data-root has none; makes nothing. */
export function storeToRead(cmd: Command): ImageStore | null {
  const dataRoot = dataRootOf(cmd)
  try {
    return ImageStore.ifPresent(dataRoot)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw new Error(`open image store "${join(dataRoot, 'images')}"`, { cause: err })
    const problem = rootProblem(dataRoot) ?? `${JSON.stringify(join(dataRoot, 'images'))} is not a directory`
    throw new OptionError(`${optionValue(cmd, '--data-root', 'dataRoot')}: ${problem}`)
  }
}

/** --registry-config, when given, is a docker config.json. */
export function checkRegistryConfig(cmd: Command): void {
  const file = cmd.getOptionValue('registryConfig') as string | undefined
  if (file !== undefined) checkRegistryConfigFile(file, optionValue(cmd, '--registry-config', 'registryConfig'))
}
