// The error of a volume or volumeMount podshim cannot set up, naming its field.
export class VolumeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'VolumeError'
  }
}
