// A container kubelet cannot configure (CreateContainerConfigError): its
// spec asks for what this pod or image cannot give (an unknown fieldRef,
// a runAsNonRoot refusal, no command at all).

export class ContainerConfigError extends Error {
  /** kubelet's waiting reason for a container it cannot configure */
  readonly reason = 'CreateContainerConfigError'
  constructor(message: string) {
    super(message)
    this.name = 'ContainerConfigError'
  }
}
