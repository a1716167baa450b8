// What a container's main process runs: argv from command/args over the
// image's Entrypoint/Cmd (Kubernetes' rules), the environment (image env,
// then HOSTNAME as containerd adds it, then the container's envFrom and
// env with $(VAR) expansion, then HOME as runc adds it), the user and groups
// (kubelet's runAsNonRoot check, then containerd's passwd and group
// lookups), the oom_score_adj kubelet gives it, and the executable found on
// PATH inside the container's root. Pure apart from the image lookups passed in.
import { posix } from 'node:path'
import type { DefaultedContainer, DefaultedPod } from '../spec/types'
import type { PodConfigObjects } from '../spec/config-objects'
import type { ImageConfig } from '../images/resolver'
import { expandVars } from '../spec/expand'
import { oomScoreAdj, podQosClass, withDefaultRequests } from '../cgroup/qos'
import { containerResources, initContainerResources, resourcesOf } from '../supervisor/resources'
import { allCapabilities, containerCapabilities } from './capability-sets'
import { ContainerConfigError } from './container-config-error'
import { envFromVariables, keyRefValue } from './config-env'
import { metadataValue } from './downward-volume'
import { type NodeAllocatable, resourceFieldValue } from './downward-resources'

export { ContainerConfigError }

export interface ProcessSpec {
  argv: string[]
  env: string[]
  workingDir: string
  /** always set for a container (root too: its groups come from the image, not from podshim); null = keep the caller's */
  ids: { uid: number; gid: number; groups: number[] } | null
  /** kubelet's value by QoS class (GetContainerOOMScoreAdjust) */
  oomScoreAdj: number
  /** the bounding set it keeps (a mask of capability numbers), and no_new_privs (allowPrivilegeEscalation: false) */
  capabilities: { keep: number; noNewPrivs: boolean }
}

/** One /etc/passwd entry of the image. */
export interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

/** The image's /etc/passwd and /etc/group (image-lookup.ts reads them). */
export interface ImageUsers {
  byName(name: string): PasswdEntry | undefined
  byUid(uid: number): PasswdEntry | undefined
  groupByName(name: string): number | undefined
  /** the gids of the groups that list the user as a member */
  memberGroups(user: string): number[]
}

/** The node the pod runs on, as the downward API tells it: this host. */
export interface NodeInfo {
  name: string
  /** status.hostIP, the same address the pod's status gives */
  hostIP: string
  /** what a resourceFieldRef limit the container does not set is (read only when one asks) */
  allocatable(): NodeAllocatable
}

/** The pod's address inside its own network namespace: only loopback is there (status.podIP, the probes' host). */
export const POD_LOOPBACK_IP = '127.0.0.1'

/** The value of a downward-API fieldRef (only what exists without a cluster). */
export function fieldRefValue(pod: DefaultedPod, fieldPath: string, node: NodeInfo): string {
  const value = metadataValue(pod, fieldPath)
  if (value !== null) return value
  switch (fieldPath) {
    case 'spec.nodeName': return node.name
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName
    case 'status.hostIP': case 'status.hostIPs': return node.hostIP
    case 'status.podIP': case 'status.podIPs': return pod.spec.hostNetwork ? node.hostIP : POD_LOOPBACK_IP
    default: throw new ContainerConfigError(`env fieldRef "${fieldPath}" is not supported`)
  }
}

/**
 * The container's env in order, as kubelet makes it: envFrom first, then
 * env, a later entry overriding an earlier one; a value may reference what
 * comes before it. `objects` are the ConfigMaps and Secrets beside the pod.
 * @throws ContainerConfigError for a missing object or key that is not optional
 */
export function containerEnv(pod: DefaultedPod, container: DefaultedContainer, node: NodeInfo, objects: PodConfigObjects): Map<string, string> {
  const env = envFromVariables(container.envFrom, objects)
  for (const entry of container.env) {
    let value: string | undefined
    const from = entry.valueFrom
    if (from?.fieldRef !== undefined) value = fieldRefValue(pod, from.fieldRef.fieldPath, node)
    else if (from?.resourceFieldRef !== undefined) value = resourceFieldValue(from.resourceFieldRef, pod, container, node.allocatable)
    else if (from?.configMapKeyRef !== undefined) value = keyRefValue('configMap', from.configMapKeyRef, objects, pod.metadata.namespace)
    else if (from?.secretKeyRef !== undefined) value = keyRefValue('secret', from.secretKeyRef, objects, pod.metadata.namespace)
    else value = expandVars(entry.value ?? '', (name) => env.get(name))
    // an optional ref to what is missing sets nothing, as kubelet's `continue`
    if (value !== undefined) env.set(entry.name, value)
  }
  return env
}

export function processSpec(input: {
  pod: DefaultedPod
  container: DefaultedContainer
  image: ImageConfig
  hostname: string
  node: NodeInfo
  /** the ConfigMaps and Secrets given beside the pod */
  objects: PodConfigObjects
  users: ImageUsers
  /** the machine's memory (MemTotal), which a Burstable container's oom_score_adj is relative to */
  machineMemoryBytes: number
  /** whether the container's cgroup gets the device filter (else no MKNOD by default) */
  hasDeviceFilter: boolean
}): ProcessSpec {
  const { pod, container, image } = input
  const own = containerEnv(pod, container, input.node, input.objects)
  const lookup = (name: string): string | undefined => own.get(name)
  const command = container.command.map((s) => expandVars(s, lookup))
  const args = container.args.map((s) => expandVars(s, lookup))
  // command replaces Entrypoint (and drops Cmd); args replace Cmd
  const argv = command.length > 0 ? [...command, ...args] : [...image.entrypoint, ...(args.length > 0 ? args : image.cmd)]
  if (argv.length === 0) throw new ContainerConfigError('no command specified: neither the container nor the image has one')

  // containerd's WithDefaultPathEnv: a PATH for images whose config has none; theirs replaces it
  const merged = new Map<string, string>([['PATH', DEFAULT_PATH]])
  for (const kv of image.env) {
    const eq = kv.indexOf('=')
    merged.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1))
  }
  merged.set('HOSTNAME', input.hostname)
  for (const [k, v] of own) merged.set(k, v)
  const ids = containerIds(pod, container, image.user, input.users)
  // as runc: the user's home from the image's passwd, "/" without an entry
  if (!merged.has('HOME')) merged.set('HOME', input.users.byUid(ids.uid)?.home ?? '/')

  const workingDir = container.workingDir !== undefined && container.workingDir !== '' ? container.workingDir : image.workingDir || '/'
  if (!posix.isAbsolute(workingDir)) throw new ContainerConfigError(`workingDir must be an absolute path (got "${workingDir}")`)
  return {
    argv,
    env: [...merged].map(([k, v]) => `${k}=${v}`),
    workingDir,
    ids,
    oomScoreAdj: containerOomScoreAdj(pod, container, input.machineMemoryBytes),
    capabilities: {
      // containerd: a privileged container has every capability, whatever capabilities.add/drop say
      keep: container.securityContext?.privileged === true ? allCapabilities() : containerCapabilities(container.securityContext?.capabilities, input.hasDeviceFilter),
      noNewPrivs: container.securityContext?.allowPrivilegeEscalation === false,
    },
  }
}

/** kubelet's oom_score_adj for a container: by the pod's QoS class, a Burstable one by its memory request (requests default to limits). */
function containerOomScoreAdj(pod: DefaultedPod, container: DefaultedContainer, machineMemoryBytes: number): number {
  const qos = podQosClass({ containers: containerResources(pod), initContainers: initContainerResources(pod) })
  return oomScoreAdj(qos, withDefaultRequests(resourcesOf(container)).requests.memoryBytes ?? 0, machineMemoryBytes)
}

/** A numeric user or group id as /etc/passwd, /etc/group and an image's User write it. */
export const isId = (s: string | undefined): s is string => s !== undefined && /^\d+$/.test(s)

/**
 * kubelet's verifyRunAsNonRoot, in its order: the effective runAsUser if
 * set, else the image's user, which kubelet sees only as a uid or a name (no
 * user is uid 0). A name is refused: kubelet cannot read the image's passwd.
 */
function verifyRunAsNonRoot(pod: DefaultedPod, container: DefaultedContainer, runAsUser: number | undefined, imageUser: string): void {
  const isNonRoot = container.securityContext?.runAsNonRoot ?? pod.spec.securityContext.runAsNonRoot
  if (isNonRoot !== true) return
  const where = `(pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${container.name})`
  if (runAsUser !== undefined) {
    if (runAsUser === 0) throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${where}`)
    return
  }
  const user = imageUser.split(':')[0]
  if (user !== '' && !isId(user)) throw new ContainerConfigError(`container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`)
  if (user === '' || Number(user) === 0) throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${where}`)
}

/**
 * securityContext (container over pod) over the image's User, resolved as
 * containerd does: a uid takes its primary gid from the passwd entry of that
 * uid (0 without one) unless a group is given (WithUserID); a name must have
 * an entry (WithUsername). The groups are the primary gid, every /etc/group
 * group listing the user (WithAdditionalGIDs) and supplementalGroups, the
 * Merge policy Kubernetes defaults to; sorted and unique, as containerd's mergeGids.
 */
function containerIds(pod: DefaultedPod, container: DefaultedContainer, imageUser: string, users: ImageUsers): NonNullable<ProcessSpec['ids']> {
  const podSc = pod.spec.securityContext
  const sc = container.securityContext ?? {}
  const runAsUser = sc.runAsUser ?? podSc.runAsUser
  verifyRunAsNonRoot(pod, container, runAsUser, imageUser)
  let gid = sc.runAsGroup ?? podSc.runAsGroup
  let uid: number
  let entry: PasswdEntry | undefined
  if (runAsUser !== undefined) {
    uid = runAsUser
    entry = users.byUid(uid)
  } else {
    const [user, group] = imageUser.split(':')
    if (user === '' || isId(user)) {
      uid = user === '' ? 0 : Number(user)
      entry = users.byUid(uid)
    } else {
      entry = users.byName(user)
      if (entry === undefined) throw new ContainerConfigError(`image user "${user}" not found in the container's /etc/passwd`)
      uid = entry.uid
    }
    if (gid === undefined && group !== undefined && group !== '') {
      gid = isId(group) ? Number(group) : users.groupByName(group)
      if (gid === undefined) throw new ContainerConfigError(`image group "${group}" not found in the container's /etc/group`)
    }
  }
  gid ??= entry?.gid ?? 0
  const listed = entry === undefined ? [] : users.memberGroups(entry.name)
  // kubelet adds the pod's fsGroup to the supplementary groups, the owner of its volumes
  const fsGroup = podSc.fsGroup === undefined ? [] : [podSc.fsGroup]
  const groups = [...new Set([gid, ...listed, ...fsGroup, ...(podSc.supplementalGroups ?? [])])].sort((a, b) => a - b)
  return { uid, gid, groups }
}

/** containerd's default PATH (oci.WithDefaultPathEnv) */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** PATH lookup as execvp would do it, but inside the container's root; returns the in-container path or undefined. */
export function findExecutable(file: string, env: string[], isExecutable: (containerPath: string) => boolean): string | undefined {
  if (file.includes('/')) return file
  const pathVar = env.find((kv) => kv.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH
  for (const dir of pathVar.split(':')) {
    const candidate = posix.join(dir === '' ? '.' : dir, file)
    if (posix.isAbsolute(candidate) && isExecutable(candidate)) return candidate
  }
  return undefined
}
