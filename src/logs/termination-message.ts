// What kubelet reports as a terminated container's message: the last 4096
// bytes of its termination message file; with FallbackToLogsOnError, when
// the container failed and left the file empty, the tail of its log
// instead (log-tail.ts). An error reading either becomes the message, as
// kubelet makes it (pkg/kubelet/kuberuntime, getTerminationMessage).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

import { readCriLogTail } from './log-tail'

/** kubelet's MaxContainerTerminationMessageLength: it reads the file's last 4096 bytes (tail.ReadAtMost) */
export const TERMINATION_MESSAGE_BYTES = 4096

export interface TerminationMessageInput {
  /** the termination message file on the host */
  file: string
  /** FallbackToLogsOnError: the instance's CRI log; null with the File policy */
  fallbackLog: string | null
  /** the exit code was not 0 (128+n for a signal counts) */
  hasFailed: boolean
}

/**
 * The last `max` bytes of a file as text, never reading more (a container
 * may write a huge one); '' when it does not exist, as kubelet takes a
 * missing file. Throws any other error.
 */
export function lastBytes(path: string, max: number): string {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw err
  }
  try {
    const size = fstatSync(fd).size
    const buffer = Buffer.alloc(Math.min(size, max))
    const n = readSync(fd, buffer, 0, buffer.length, size - buffer.length)
    return buffer.subarray(0, n).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** The message, '' for none. */
export function terminationMessage(input: TerminationMessageInput): string {
  let message: string
  try {
    message = lastBytes(input.file, TERMINATION_MESSAGE_BYTES)
  } catch (err) {
    return `Error on reading termination log ${input.file}: ${(err as Error).message}`
  }
  if (message !== '' || input.fallbackLog === null || !input.hasFailed) return message
  try {
    return readCriLogTail(input.fallbackLog)
  } catch (err) {
    return `Error on reading termination message from logs: ${(err as Error).message}`
  }
}
