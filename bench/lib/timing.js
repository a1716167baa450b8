// Wall-clock timing of one child process, start (just before spawn) to its
// exit, and the statistics the report prints. Every row of the table is timed
// by this same code, so Node's own spawn cost is the same for every peer and
// cancels out of the comparisons.
'use strict'
const { spawn } = require('node:child_process')

/** Run argv[0] with argv[1..] once; resolves { ms, code, signal, stderr }. */
function timeOnce(argv, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    let end = 0n
    const child = spawn(argv[0], argv.slice(1), { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] })
    options.onSpawn?.(child.pid)
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => { if (stderr.length < 8192) stderr += chunk })
    child.on('error', reject)
    child.on('exit', () => { end = process.hrtime.bigint() })
    child.on('close', (code, signal) => {
      options.onExit?.(child.pid)
      resolve({ ms: Number(end - start) / 1e6, code, signal, stderr })
    })
  })
}

/** timeOnce that throws unless the child exited 0. */
async function timeOk(label, argv, options) {
  const r = await timeOnce(argv, options)
  if (r.code !== 0) {
    throw new Error(`${label}: ${argv.join(' ')} exited ${r.code ?? `on signal ${r.signal}`}${r.stderr ? `:\n${r.stderr.trimEnd()}` : ''}`)
  }
  return r.ms
}

function quantile(values, q) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

function summarize(values) {
  return { n: values.length, median: quantile(values, 0.5), min: Math.min(...values), p90: quantile(values, 0.9), max: Math.max(...values) }
}

module.exports = { timeOnce, timeOk, quantile, summarize }
