// The options of `podshim run` that only the file system can check, checked
// before the manifest is read and before anything of the pod is made: each
// root must be a directory podshim can write in, or one it can make (its
// nearest existing ancestor a directory it can write in); a registry config
// must be a docker config.json a pull can read, so that a typo fails
// at once rather than when a registry first asks for credentials. Nothing
// is made or changed here. access(2), stat(2)
import { accessSync, constants, lstatSync, statSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'
import { getSystemErrorMap } from 'node:util'

import type { RunOptions } from './run'
import { OptionError, optionText } from './option-error'
import { describeError } from '../supervisor/describe-error'

const ROOTS = [['stateRoot', '--state-root'], ['logRoot', '--log-root'], ['dataRoot', '--data-root']] as const

/** Throws an OptionError naming the first option whose value cannot serve. */
export function checkRunOptions(opts: RunOptions): void {
  for (const [key, flag] of ROOTS) {
    const problem = rootProblem(opts[key])
    if (problem !== null) throw new OptionError(`${optionValue(flag, key, opts)}: ${problem}`)
  }
  if (opts.registryConfig !== null) checkRegistryConfigFile(opts.registryConfig, optionValue('--registry-config', 'registryConfig', opts))
}

/** Throws an OptionError with the option's text when file is not a docker config.json (readAuthFile). */
export function checkRegistryConfigFile(file: string, option: string): void {
  // loaded only here: a run without a registry config never needs it
  const { readAuthFile } = require('../images/registry-credentials') as typeof import('../images/registry-credentials')
  try {
    readAuthFile(file)
  } catch (err) {
    // the reader's context names the file again: the option and its value say it
    throw new OptionError(option, { cause: (err as Error).cause ?? err })
  }
}

/** The option's text for its messages: its value, and the variable that gave it. */
function optionValue(flag: string, key: keyof RunOptions, opts: RunOptions): string {
  return optionText(flag, opts[key], opts.fromEnv?.[key])
}

/** Why dir cannot be a root podshim makes directories under, or null when it can be. */
export function rootProblem(dir: string): string | null {
  let existing = dir
  try {
    let st = lstatIfThere(existing)
    // "/" is always there
    while (st === null) {
      existing = dirname(existing)
      st = lstatIfThere(existing)
    }
    const isRoot = existing === dir
    if (st.isSymbolicLink()) {
      const target = statSync(existing, { throwIfNoEntry: false })
      if (target === undefined) return isRoot ? 'a symbolic link to nothing' : `cannot be made: ${JSON.stringify(existing)} is a symbolic link to nothing`
      st = target
    }
    if (!st.isDirectory()) return isRoot ? 'not a directory' : `cannot be made: ${JSON.stringify(existing)} is not a directory`
    accessSync(existing, constants.W_OK | constants.X_OK)
  } catch (err) {
    const reason = systemErrorText(err)
    return existing === dir ? reason : `cannot be made in ${JSON.stringify(existing)}: ${reason}`
  }
  return null
}

/** The path's lstat, or null where nothing is there (a path below a regular file included). */
function lstatIfThere(path: string): Stats | null {
  try {
    return lstatSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw err
  }
}

/** "read-only file system (EROFS)": Node's text for the errno, without the syscall and path the option names already. */
function systemErrorText(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException).errno
  const known = errno === undefined ? undefined : getSystemErrorMap().get(errno)
  return known === undefined ? describeError(err) : `${known[1]} (${known[0]})`
}
