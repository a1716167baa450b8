// The side of a pod the supervisor's state machine does not decide: the
// sandbox and the container processes. The real runtime drives the addon;
// tests pass a fake with processes they end by hand (STYLE.md principle 4).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import type { ExitStatus } from '../native/contract'
import type { ResolvedImage } from '../images/resolver'
import type { DefaultedContainer } from '../spec/types'
import { PodSandbox, type ReapEvent } from './pod-sandbox'
import { startContainerProcess, type ContainerOutput, type StartedProcess } from './container-process'

/** kubelet's MaxContainerTerminationMessageLength: it reads the file's last 4096 bytes (tail.ReadAtMost) */
const TERMINATION_MESSAGE_BYTES = 4096

/** The last `max` bytes of a file as text, never reading more (a container may write a huge one); undefined if unreadable. */
function lastBytes(path: string, max: number): string | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
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

export interface ExitDetails {
  isOomKilled: boolean
  /** the container's termination message (kubelet reads at most 4096 bytes) */
  message?: string
}

export interface PodRuntime {
  /** Create the sandbox up to a running pause. */
  start(onReap: (event: ReapEvent) => void, onSandboxExit: (status: ExitStatus) => void): void
  /** whether lowering pause's oom_score_adj was possible */
  readonly canSetOomScoreAdj: boolean
  /** what the sandbox could not do as Kubernetes would (no device filter, no cgroup.kill), once start() ran */
  readonly sandboxWarnings: readonly { reason: string; message: string }[]
  /** pause is exiting or gone: its PID namespace's members die first, and must not be restarted into it */
  isSandboxExiting(): boolean
  startContainer(container: DefaultedContainer, image: ResolvedImage, restartCount: number): StartedProcess
  exitDetails(container: string, process: StartedProcess): ExitDetails
  /** Undo everything; returns the errors of the steps that failed. */
  teardown(): Promise<unknown[]>
}

export class SandboxRuntime implements PodRuntime {
  constructor(
    readonly sandbox: PodSandbox,
    private readonly hostname: string,
    private readonly fqdn: string | null,
    private readonly logDir: string,
    private readonly output: ContainerOutput,
  ) {}

  get canSetOomScoreAdj(): boolean {
    return this.sandbox.canSetOomScoreAdj
  }

  get sandboxWarnings(): readonly { reason: string; message: string }[] {
    return this.sandbox.warnings
  }

  start(onReap: (event: ReapEvent) => void, onSandboxExit: (status: ExitStatus) => void): void {
    this.sandbox.start(this.hostname, this.fqdn, onReap, onSandboxExit)
  }

  isSandboxExiting(): boolean {
    return this.sandbox.isPauseExiting()
  }

  startContainer(container: DefaultedContainer, image: ResolvedImage, restartCount: number): StartedProcess {
    return startContainerProcess({
      native: this.sandbox.native, sandbox: this.sandbox, container, image, hostname: this.hostname,
      logDir: `${this.logDir}/${container.name}`, restartCount, output: this.output,
    })
  }

  exitDetails(container: string, process: StartedProcess): ExitDetails {
    const details: ExitDetails = { isOomKilled: this.sandbox.cgroup.oomKilled(container) }
    const message = lastBytes(process.terminationLog, TERMINATION_MESSAGE_BYTES)
    if (message !== undefined && message !== '') details.message = message
    return details
  }

  teardown(): Promise<unknown[]> {
    return this.sandbox.teardown()
  }
}
