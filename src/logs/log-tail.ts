// The tail of a container's CRI log as its text, the way kubelet reads it
// for a FallbackToLogsOnError termination message: the last 80 records,
// each record's text (a full record with its newline, a partial one
// without), of which the last 2048 bytes are kept. Only the end of the file
// is read: a container may have logged gigabytes.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/** kubelet's MaxContainerTerminationMessageLogLines */
export const TERMINATION_LOG_LINES = 80
/** kubelet's MaxContainerTerminationMessageLogLength */
export const TERMINATION_LOG_BYTES = 2048

const NEWLINE = 0x0a
const SPACE = 0x20
const READ_BLOCK_BYTES = 64 * 1024

/**
 * Where the last `lines` lines of data start, counted as kubelet's tail
 * counts them: newlines from the end, so a last line without one (a torn
 * write) comes on top of them.
 */
export function tailStart(data: Buffer, lines: number): number {
  let seen = 0
  for (let i = data.length - 1; i >= 0; i--) {
    if (data[i] === NEWLINE && ++seen > lines) return i + 1
  }
  return 0
}

/**
 * The text of one CRI record ("<time> <stream> <tag> <text>"), or undefined
 * where it is not one (kubelet skips such a line). A partial record (P) is
 * a piece of a longer line: its newline is only the record's end.
 */
export function recordText(record: Buffer): Buffer | undefined {
  const afterTime = record.indexOf(SPACE) + 1
  const afterStream = afterTime === 0 ? 0 : record.indexOf(SPACE, afterTime) + 1
  const afterTag = afterStream === 0 ? 0 : record.indexOf(SPACE, afterStream) + 1
  if (afterTag === 0 || afterTime === 1) return undefined
  const stream = record.toString('latin1', afterTime, afterStream - 1)
  if (stream !== 'stdout' && stream !== 'stderr') return undefined
  const isPartial = record.toString('latin1', afterStream, afterTag - 1).split(':')[0] === 'P'
  const hasNewline = record[record.length - 1] === NEWLINE
  return record.subarray(afterTag, isPartial && hasNewline ? record.length - 1 : record.length)
}

/** Pure: the text of the last `lines` records of a CRI log's end (data), its last `bytes` bytes. */
export function criLogTail(data: Buffer, lines = TERMINATION_LOG_LINES, bytes = TERMINATION_LOG_BYTES): Buffer {
  const texts: Buffer[] = []
  let start = tailStart(data, lines)
  while (start < data.length) {
    const newline = data.indexOf(NEWLINE, start)
    const end = newline < 0 ? data.length : newline + 1
    const text = recordText(data.subarray(start, end))
    if (text !== undefined) texts.push(text)
    start = end
  }
  const all = Buffer.concat(texts)
  return all.subarray(Math.max(0, all.length - bytes))
}

/** Count of newlines in data. */
function newlines(data: Buffer): number {
  let n = 0
  for (let i = data.indexOf(NEWLINE); i >= 0; i = data.indexOf(NEWLINE, i + 1)) n++
  return n
}

/**
 * The tail of the CRI log at path as text (criLogTail), reading blocks back
 * from its end until they hold one newline more than `lines` (the end of the
 * line before the first one wanted) or the file's start. Throws the open or
 * read error.
 */
export function readCriLogTail(path: string, lines = TERMINATION_LOG_LINES, bytes = TERMINATION_LOG_BYTES): string {
  const fd = openSync(path, 'r')
  try {
    const blocks: Buffer[] = []
    let seen = 0
    for (let end = fstatSync(fd).size; end > 0 && seen <= lines;) {
      const start = Math.max(0, end - READ_BLOCK_BYTES)
      const block = Buffer.alloc(end - start)
      const n = readSync(fd, block, 0, block.length, start)
      blocks.unshift(block.subarray(0, n))
      seen += newlines(block.subarray(0, n))
      end = start
    }
    return criLogTail(Buffer.concat(blocks), lines, bytes).toString('utf8')
  } finally {
    closeSync(fd)
  }
}
