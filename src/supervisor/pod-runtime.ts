// The side of a pod the supervisor's state machine does not decide: the
// sandbox and the container processes. The real runtime drives the addon;
// tests pass a fake with processes they end by hand (STYLE.md principle 4).
import { readFileSync } from 'node:fs'
import type { ExitStatus } from '../native/contract'
import type { ResolvedImage } from '../images/resolver'
import type { DefaultedContainer } from '../spec/types'
import { PodSandbox, type ReapEvent } from './pod-sandbox'
import { startContainerProcess, type ContainerOutput, type StartedProcess } from './container-process'

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

  start(onReap: (event: ReapEvent) => void, onSandboxExit: (status: ExitStatus) => void): void {
    this.sandbox.start(this.hostname, this.fqdn, onReap, onSandboxExit)
  }

  startContainer(container: DefaultedContainer, image: ResolvedImage, restartCount: number): StartedProcess {
    return startContainerProcess({
      native: this.sandbox.native, sandbox: this.sandbox, container, image, hostname: this.hostname,
      logDir: `${this.logDir}/${container.name}`, restartCount, output: this.output,
    })
  }

  exitDetails(container: string, process: StartedProcess): ExitDetails {
    const details: ExitDetails = { isOomKilled: this.sandbox.cgroup.oomKilled(container) }
    try {
      const message = readFileSync(process.terminationLog, 'utf8').slice(0, 4096)
      if (message !== '') details.message = message
    } catch {
      // no termination message
    }
    return details
  }

  teardown(): Promise<unknown[]> {
    return this.sandbox.teardown()
  }
}
