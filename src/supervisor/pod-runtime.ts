// The side of a pod the supervisor's state machine does not decide: the
// sandbox and the container processes. The real runtime drives the addon;
// tests pass a fake with processes they end by hand (STYLE.md principle 4).
import type { ExitStatus } from '../native/contract'
import type { ResolvedImage } from '../images/resolver'
import type { DefaultedContainer } from '../spec/types'
import { terminationMessage } from '../logs/termination-message'
import { nextRestartCount } from '../logs/log-rotation'
import { PodSandbox, type ReapEvent } from './pod-sandbox'
import { startContainerProcess, type ContainerOutput, type StartedProcess } from './container-process'

export interface ExitDetails {
  isOomKilled: boolean
  /** the container's termination message, as kubelet reports it (terminationMessage) */
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
  /**
   * Configure, create and start an instance. `onCreated` is called once its
   * configuration is made (kubelet's generateContainerConfig): a
   * ContainerConfigError comes before it, a runtime failure after it.
   */
  startContainer(container: DefaultedContainer, image: ResolvedImage, restartCount: number, onCreated?: () => void): StartedProcess
  /**
   * kubelet's calcRestartCountByLogDir: a container with no instance yet
   * continues from the logs already under its log directory (a pod run
   * again with the same uid), one past the highest; 0 without any
   */
  restartCountFromLogs?(container: string): number
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

  restartCountFromLogs(container: string): number {
    return nextRestartCount(`${this.logDir}/${container}`)
  }

  startContainer(container: DefaultedContainer, image: ResolvedImage, restartCount: number, onCreated?: () => void): StartedProcess {
    return startContainerProcess({
      native: this.sandbox.native, sandbox: this.sandbox, container, image, hostname: this.hostname,
      logDir: `${this.logDir}/${container.name}`, restartCount, output: this.output, onCreated,
    })
  }

  exitDetails(container: string, process: StartedProcess): ExitDetails {
    const details: ExitDetails = { isOomKilled: this.sandbox.cgroup.oomKilled(container) }
    const status = process.exitStatus
    const message = terminationMessage({
      file: process.terminationLog,
      fallbackLog: process.fallbackLog,
      // kubelet: an exit code other than 0, which a signal's 128+n is
      hasFailed: status !== null && status.code !== 0,
    })
    if (message !== '') details.message = message
    return details
  }

  teardown(): Promise<unknown[]> {
    return this.sandbox.teardown()
  }
}
