// A bad option value that only the file system can tell (a root that is a
// regular file or on a read-only mount, a registry config that is not
// one): a usage error as commander's own are, exit 2 (STYLE.md), found
// before anything of the pod is made. Its message names the option, where
// the value came from and what is wrong with it.

export class OptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'OptionError'
  }
}

/** `--data-root "/x"`, and the variable the value came from when the environment gave it. */
export function optionText(flag: string, value: unknown, fromEnv: string | undefined): string {
  return `${flag} ${JSON.stringify(value)}${fromEnv === undefined ? '' : ` (from ${fromEnv})`}`
}
