// kubelet's killContainer (kuberuntime_container.go), with the preStop hook:
// the hook runs first and its time counts against the grace period, a hung
// hook is abandoned when the grace period runs out; a sidecar then waits for
// its turn (all app containers, then later sidecars, gone) within what is
// left; whatever remains is raised to the 2-second minimum, the stop signal
// is sent, and SIGKILL follows when that runs out. kubelet keeps the grace
// period in whole seconds: each wait is taken off it truncated to seconds.
import type { Clock } from './clock'
import type { ContainerRecord } from './container-record'
import type { RestartPolicy } from './backoff'

/** kubelet's minimumGracePeriodInSeconds */
export const MIN_GRACE_MS = 2000
export const SIGKILL = 9

export interface KillOptions {
  graceMs: number
  /** the preStop hook, if the container has one: resolves with an error message on failure */
  preStop?: () => Promise<string | undefined>
  onPreStopFailed?: (message: string) => void
  /** a sidecar's turn in the termination order */
  waitForTurn?: () => Promise<void>
  stopSignal: number
}

/** Resolves after `ms` kubelet-milliseconds, or never if cancelled (with the cancel handle). */
function sleep(clock: Clock, ms: number): { done: Promise<'timeout'>; cancel: () => void } {
  let cancel = (): void => {}
  const done = new Promise<'timeout'>((resolve) => {
    const timer = clock.after(Math.max(0, ms), () => resolve('timeout'))
    cancel = () => timer.cancel()
  })
  return { done, cancel }
}

async function within(clock: Clock, ms: number, work: Promise<unknown>): Promise<void> {
  const timer = sleep(clock, ms)
  await Promise.race([work, timer.done])
  timer.cancel()
}

/** Run `wait` for at most ms; how long it took in whole kubelet seconds (Go's int64(d.Seconds())), as ms. */
async function wholeSecondsOf(clock: Clock, ms: number, wait: Promise<unknown>): Promise<number> {
  const start = clock.monotonicMs()
  await within(clock, ms, wait)
  return Math.trunc((clock.monotonicMs() - start) / 1000) * 1000
}

export async function killContainer(rec: ContainerRecord, clock: Clock, opts: KillOptions): Promise<void> {
  const process = rec.process
  if (process === undefined || !rec.isRunning) return
  let graceMs = opts.graceMs
  if (opts.preStop !== undefined && graceMs > 0) {
    const hook = opts.preStop().then((error) => {
      if (error !== undefined) opts.onPreStopFailed?.(error)
    })
    graceMs -= await wholeSecondsOf(clock, graceMs, Promise.race([hook, process.exited]))
  }
  if (opts.waitForTurn !== undefined && graceMs > 0) graceMs -= await wholeSecondsOf(clock, graceMs, opts.waitForTurn())
  // as kubelet: always a minimal shutdown window
  graceMs = Math.max(graceMs, MIN_GRACE_MS)
  if (!rec.isRunning) return
  process.signal(opts.stopSignal)
  const timer = sleep(clock, graceMs)
  const result = await Promise.race([process.exited, timer.done])
  timer.cancel()
  if (result === 'timeout') {
    process.signal(SIGKILL)
    await process.exited
  }
}

/**
 * kubelet's Killing message for a liveness/startup failure: a sidecar's from
 * computeInitContainerActions, an app container's from computePodActions,
 * where "will be restarted" is added only when the pod's policy restarts it.
 */
export function unhealthyKillMessage(rec: Pick<ContainerRecord, 'name' | 'kind'>, probe: 'liveness' | 'startup', policy: RestartPolicy): string {
  if (rec.kind !== 'regular') return `Init container ${rec.name} failed ${probe} probe`
  return `Container ${rec.name} failed ${probe} probe${policy === 'Never' ? '' : ', will be restarted'}`
}
