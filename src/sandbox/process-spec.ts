// What a container's main process runs: argv from command/args over the
// image's Entrypoint/Cmd (Kubernetes' rules), the environment (image env,
// then the container's env with $(VAR) expansion, then HOSTNAME as
// containerd adds it), the user, and the executable found on PATH inside the
// container's root. Pure apart from the `isExecutable` probe passed in.
import { posix } from 'node:path'
import type { DefaultedContainer, DefaultedPod } from '../spec/types'
import type { ImageConfig } from '../images/resolver'
import { expandVars } from '../spec/expand'
import { allCapabilities, containerCapabilities } from './capability-sets'

export class ContainerConfigError extends Error {
  /** kubelet's waiting reason for a container it cannot configure */
  readonly reason = 'CreateContainerConfigError'
  constructor(message: string) {
    super(message)
    this.name = 'ContainerConfigError'
  }
}

export interface ProcessSpec {
  argv: string[]
  env: string[]
  workingDir: string
  ids: { uid: number; gid: number; groups: number[] } | null
  /** the bounding set it keeps (a mask of capability numbers), and no_new_privs (allowPrivilegeEscalation: false) */
  capabilities: { keep: number; noNewPrivs: boolean }
}

/** The node the pod runs on, as the downward API tells it: this host. */
export interface NodeInfo {
  name: string
  /** status.hostIP, the same address the pod's status gives */
  hostIP: string
}

/** The pod's address inside its own network namespace: only loopback is there (status.podIP, the probes' host). */
export const POD_LOOPBACK_IP = '127.0.0.1'

/** The value of a downward-API fieldRef (only what exists without a cluster). */
export function fieldRefValue(pod: DefaultedPod, fieldPath: string, node: NodeInfo): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath)
  if (label !== null) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)[label[2]] ?? ''
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name
    case 'metadata.namespace': return pod.metadata.namespace
    case 'metadata.uid': return pod.metadata.uid
    case 'spec.nodeName': return node.name
    case 'spec.serviceAccountName': return 'default'
    case 'status.hostIP': case 'status.hostIPs': return node.hostIP
    case 'status.podIP': case 'status.podIPs': return pod.spec.hostNetwork ? node.hostIP : POD_LOOPBACK_IP
    default: throw new ContainerConfigError(`env fieldRef "${fieldPath}" is not supported`)
  }
}

/** The container's env in order, expanded as kubelet does (each entry may reference the earlier ones). */
export function containerEnv(pod: DefaultedPod, container: DefaultedContainer, node: NodeInfo): Map<string, string> {
  const env = new Map<string, string>()
  for (const entry of container.env) {
    let value: string
    if (entry.valueFrom?.fieldRef !== undefined) value = fieldRefValue(pod, entry.valueFrom.fieldRef.fieldPath, node)
    else value = expandVars(entry.value ?? '', (name) => env.get(name))
    env.set(entry.name, value)
  }
  return env
}

export function processSpec(input: {
  pod: DefaultedPod
  container: DefaultedContainer
  image: ImageConfig
  hostname: string
  node: NodeInfo
  /** looks a user name up in the container's /etc/passwd: [uid, gid] */
  lookupUser: (name: string) => [number, number] | undefined
  /** whether the container's cgroup gets the device filter (else no MKNOD by default) */
  hasDeviceFilter: boolean
}): ProcessSpec {
  const { pod, container, image } = input
  const own = containerEnv(pod, container, input.node)
  const lookup = (name: string): string | undefined => own.get(name)
  const command = container.command.map((s) => expandVars(s, lookup))
  const args = container.args.map((s) => expandVars(s, lookup))
  // command replaces Entrypoint (and drops Cmd); args replace Cmd
  const argv = command.length > 0 ? [...command, ...args] : [...image.entrypoint, ...(args.length > 0 ? args : image.cmd)]
  if (argv.length === 0) throw new ContainerConfigError('no command specified: neither the container nor the image has one')

  const merged = new Map<string, string>()
  for (const kv of image.env) {
    const eq = kv.indexOf('=')
    merged.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1))
  }
  merged.set('HOSTNAME', input.hostname)
  for (const [k, v] of own) merged.set(k, v)

  const workingDir = container.workingDir !== undefined && container.workingDir !== '' ? container.workingDir : image.workingDir || '/'
  if (!posix.isAbsolute(workingDir)) throw new ContainerConfigError(`workingDir must be an absolute path (got "${workingDir}")`)
  return {
    argv,
    env: [...merged].map(([k, v]) => `${k}=${v}`),
    workingDir,
    ids: containerIds(pod, container, image.user, input.lookupUser),
    capabilities: {
      // containerd: a privileged container has every capability, whatever capabilities.add/drop say
      keep: container.securityContext?.privileged === true ? allCapabilities() : containerCapabilities(container.securityContext?.capabilities, input.hasDeviceFilter),
      noNewPrivs: container.securityContext?.allowPrivilegeEscalation === false,
    },
  }
}

/** securityContext (container over pod) over the image's User; null = stay root with no change. */
function containerIds(pod: DefaultedPod, container: DefaultedContainer, imageUser: string, lookupUser: (name: string) => [number, number] | undefined): ProcessSpec['ids'] {
  const podSc = pod.spec.securityContext
  const sc = container.securityContext ?? {}
  let uid = sc.runAsUser ?? podSc.runAsUser
  let gid = sc.runAsGroup ?? podSc.runAsGroup
  if (uid === undefined && imageUser !== '') {
    const [user, group] = imageUser.split(':')
    if (/^\d+$/.test(user)) uid = Number(user)
    else {
      const found = lookupUser(user)
      if (found === undefined) throw new ContainerConfigError(`image user "${user}" not found in the container's /etc/passwd`)
      ;[uid, gid] = [found[0], gid ?? found[1]]
    }
    if (gid === undefined && group !== undefined && /^\d+$/.test(group)) gid = Number(group)
  }
  const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot
  if (nonRoot === true && (uid ?? 0) === 0) {
    throw new ContainerConfigError('container has runAsNonRoot and image will run as root')
  }
  const groups = podSc.supplementalGroups ?? []
  if (uid === undefined && gid === undefined && groups.length === 0) return null
  return { uid: uid ?? 0, gid: gid ?? 0, groups }
}

/** PATH lookup as execvp would do it, but inside the container's root; returns the in-container path or undefined. */
export function findExecutable(file: string, env: string[], isExecutable: (containerPath: string) => boolean): string | undefined {
  if (file.includes('/')) return file
  const pathVar = env.find((kv) => kv.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  for (const dir of pathVar.split(':')) {
    const candidate = posix.join(dir === '' ? '.' : dir, file)
    if (posix.isAbsolute(candidate) && isExecutable(candidate)) return candidate
  }
  return undefined
}
