// Prints what the bench measured: environment, the timing table, the ratios
// between peers measured in the same run, and a verdict per target. Returns
// whether every target could be measured (the bench's exit status).
'use strict'
const { summarize } = require('./timing')

const PAUSE_RSS_LIMIT_KIB = 1024
const FURTHER_START_LIMIT_MS = 5

const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : '—')
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '—')
const out = (line = '') => process.stdout.write(line + '\n')

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const fmt = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')
  out(fmt(header))
  out(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) out(fmt(r))
}

function verdict(isPass) {
  return isPass === undefined ? 'NOT MEASURED' : isPass ? 'PASS' : 'FAIL'
}

function printReport({ opts, env, stats, order, pause, starts, skipped }) {
  out('podshim bench')
  for (const [k, v] of Object.entries(env)) out(`  ${k.padEnd(13)} ${v}`)
  out(`  runs          ${opts.runs} timed (+${opts.warmup} warm-up), medians; wall time spawn → exit`)
  out()
  const node = stats.node?.median
  const crun = stats.crun?.median
  table(['measurement', 'median ms', 'min', 'p90', 'max', '× node -e 0', '× crun'],
    order.map((k) => {
      const s = stats[k]
      const base = k.endsWith('+ca') ? stats['node+ca']?.median : node
      return [s.label, f1(s.median), f1(s.min), f1(s.p90), f1(s.max), f2(s.median / base), f2(s.median / crun)]
    }))
  for (const s of skipped) out(`skipped ${s}`)
  out()

  const over = stats.podshim.median - node
  const overCa = stats['podshim+ca'] ? stats['podshim+ca'].median - stats['node+ca'].median : undefined
  out('ratios')
  out(`  podshim run / node -e 0             ${f2(stats.podshim.median / node)}`)
  if (crun !== undefined) {
    out(`  podshim run / crun run              ${f2(stats.podshim.median / crun)}`)
    out(`  (podshim run − node -e 0) / crun    ${f2(over / crun)}   (target a: ≤ 1)`)
    if (overCa !== undefined) out(`    same, NODE_EXTRA_CA_CERTS set     ${f2(overCa / crun)}`)
  }
  if (stats.runc !== undefined) {
    out(`  podshim run / runc run              ${f2(stats.podshim.median / stats.runc.median)}`)
    out(`  (podshim run − node -e 0) / runc    ${f2(over / stats.runc.median)}`)
    if (crun !== undefined) out(`  crun run / runc run                 ${f2(crun / stats.runc.median)}`)
  }
  out(`  podshim --version − node -e 0       ${f1(stats.version.median - node)} ms (start-up: launcher, bundle, CLI)`)
  out(`  no bundle − podshim run             ${f1(stats.plain.median - stats.podshim.median)} ms (what the start-up bundle saves)`)
  out(`  podshim run − podshim --version     ${f1(stats.podshim.median - stats.version.median)} ms (the pod itself)`)
  out()

  const further = summarizeStarts(starts.further)
  const spawn = summarizeStarts(starts.furtherSpawn)
  out(`pause memory (pid ${pause.pid}, comm "${pause.name}")`)
  out(`  VmRSS ${pause.vmRssKiB} KiB = RssAnon ${pause.rssAnonKiB} + RssFile ${pause.rssFileKiB} + RssShmem ${pause.rssShmemKiB} KiB`)
  out(`  cgroup memory.current: ${pause.memoryCurrent === null ? `not measured: ${pause.memoryNote}` : `${pause.memoryCurrent} bytes`}`)
  out(`further container starts (${further.n} = ${opts.pods} pods × ${opts.containers - 1} after the first)`)
  out(`  Created → Started    median ${f2(further.median)}  p90 ${f2(further.p90)}  max ${f2(further.max)} ms`)
  out(`    of which spawn     median ${f2(spawn.median)}  p90 ${f2(spawn.p90)}  max ${f2(spawn.max)} ms (addon: clone → execve report)`)
  out(`  first container      median ${f2(summarizeStarts(starts.first).median)} ms`)
  out()

  const aPass = crun === undefined ? undefined : over <= crun
  const aCaPass = crun === undefined || overCa === undefined ? undefined : overCa <= crun
  const bPass = Number.isFinite(pause.vmRssKiB) ? pause.vmRssKiB < PAUSE_RSS_LIMIT_KIB : undefined
  const cPass = further.n > 0 ? further.median < FURTHER_START_LIMIT_MS : undefined
  const cMaxPass = further.n > 0 ? further.max < FURTHER_START_LIMIT_MS : undefined
  out('targets')
  out(`  a. podshim run − node -e 0 ≤ crun run      ${verdict(aPass)}  ${f1(over)} ms vs ${f1(crun)} ms${crun === undefined ? ' (crun skipped, see above)' : ''}`)
  if (overCa !== undefined) out(`     same, NODE_EXTRA_CA_CERTS set            ${verdict(aCaPass)}  ${f1(overCa)} ms vs ${f1(crun)} ms`)
  out(`  b. pause VmRSS < 1 MiB                     ${verdict(bPass)}  ${pause.vmRssKiB} KiB${pause.memoryCurrent === null ? ' (memory.current: not available)' : `, memory.current ${pause.memoryCurrent} B`}`)
  out(`  c. further container start < 5 ms, median  ${verdict(cPass)}  ${f2(further.median)} ms`)
  out(`     ${`each (max of ${further.n})`.padEnd(39)}${verdict(cMaxPass)}  ${f2(further.max)} ms`)
  return [aPass, bPass, cPass].every((v) => v !== undefined)
}

function summarizeStarts(values) {
  return values.length === 0 ? { n: 0, median: NaN, p90: NaN, max: NaN } : summarize(values)
}

module.exports = { printReport }
