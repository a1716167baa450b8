// The table `podshim run` prints at the end, one row per container, like the
// container section of `kubectl describe pod` condensed: state, reason, exit
// code, restarts.
import type { ContainerStatus, PodStatus } from '../supervisor/status'

function row(s: ContainerStatus, kind: string): string[] {
  const state = s.state.running !== undefined ? 'Running' : s.state.terminated !== undefined ? 'Terminated' : 'Waiting'
  const reason = s.state.terminated?.reason ?? s.state.waiting?.reason ?? ''
  const code = s.state.terminated !== undefined ? String(s.state.terminated.exitCode) : ''
  return [s.name, kind, state, reason, code, String(s.restartCount)]
}

export function formatSummary(podName: string, status: PodStatus, sidecars: ReadonlySet<string> = new Set()): string {
  const rows = [
    ['CONTAINER', 'KIND', 'STATE', 'REASON', 'EXIT', 'RESTARTS'],
    ...(status.initContainerStatuses ?? []).map((s) => row(s, sidecars.has(s.name) ? 'sidecar' : 'init')),
    ...status.containerStatuses.map((s) => row(s, 'app')),
  ]
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const lines = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd())
  const messages = [...(status.initContainerStatuses ?? []), ...status.containerStatuses]
    .filter((s) => s.state.terminated?.message !== undefined)
    // a message of many lines (a log tail) stays under its container's name
    .map((s) => `  ${s.name}: ${s.state.terminated!.message!.trim().split('\n').join('\n    ')}`)
  const why = status.reason !== undefined ? ` (${status.reason}): ${status.message ?? ''}`.trimEnd() : ''
  return [`pod "${podName}" ${status.phase}${why}`, ...lines, ...(messages.length > 0 ? ['messages:', ...messages] : [])].join('\n') + '\n'
}
