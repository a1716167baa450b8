// The error of a volume or volumeMount podshim cannot set up, naming its
// field; with a hint where the fix is not in the message (hints.ts).
export class VolumeError extends Error {
  readonly hint: string | undefined
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options)
    this.name = 'VolumeError'
    this.hint = options?.hint
  }
}
