// Cleans up after a supervisor that died without tearing its pod down (e.g.
// SIGKILL): its processes died with it (PR_SET_PDEATHSIG, and the kernel
// kills a PID namespace whose init is gone), but its cgroup, its tmpfs
// mounts and its state directory stay until a later podshim removes them.
//
// What a run can leave under <state root>/pods, and what a later run does:
// - `<uid>/` with its record, pod.json: the run's supervisor is named there
//   by pid and start time (so a reused pid is not taken for it). Alive: left
//   alone. Gone: the cgroup, mounts, data and state it names are removed,
//   pod.json last, so a cleanup cut short is done again by the next run.
// - `.claim-<pid>-<start time>-<uid>/`: a pod directory being made or
//   removed. The run writes the record there and renames the claim to
//   `<uid>` (claimPodState); at its end, with everything else of the pod
//   gone, it renames `<uid>` back to a claim and removes that (the sandbox's
//   teardown). So a `<uid>/` never exists without its whole record, and no
//   cgroup, mount or data of the pod exists while a claim does. Its maker
//   alive: left alone; gone: removed. (uids never start with '.'.)
// - `<uid>/` without a readable record (pod.json missing, empty or cut
//   short): no run makes one now, but a podshim from before claims, killed
//   between its mkdir and its write or as it removed its directory at its
//   end, leaves one. It has no cgroup or mount left, nor can anything still
//   be making it; a run still removing it could be. So it is removed once
//   nothing is mounted under it and it has not changed for
//   RECORDLESS_GRACE_MS (any run removes its directory in milliseconds).
//   Until then, or with a mount under it (it is not podshim's, or not as
//   podshim left it), it is left, and a warning names it and what to do.
// Anything else (a record that is not one podshim wrote for its directory)
// is left, and said: it must not keep every later run from starting.
//
// Cleanups are one at a time: the first finding anything to clean takes an
// flock on <state root>/stale-pods.lock and scans again; a run started with
// it waits for it, then finds nothing left to do, and says nothing. The
// kernel drops the lock of a run killed while cleaning, whose work the next
// run does again. Finding nothing, the usual case, takes no lock. flock(2)
import { closeSync, type Dirent, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { errorCode } from '../cgroup/cgroup-fs'
import { tryLockExclusive } from '../native/libc'
import { removeTree } from '../remove-tree'
import { parseClaimName } from './pod-state-dir'
import { describeError } from './describe-error'
import { isPodRecord, isSupervisorAlive, mountsUnder, removeStalePod, type PodRecord } from './stale-pod-record'

const LOCK_FILE = 'stale-pods.lock'
/** how long a pod directory without a record is left to a run that may still be removing it */
const RECORDLESS_GRACE_MS = 10_000
const LOCK_POLL_MS = 20
/** a cleanup that holds the lock longer is left to finish on its own (each pod's cgroup takes at most 5 s) */
const LOCK_WAIT_MAX_MS = 60_000

type Found =
  | { kind: 'stale'; record: PodRecord }
  | { kind: 'claim'; dir: string; uid: string; pid: number }
  | { kind: 'recordless'; dir: string; why: string }
  | { kind: 'foreign'; dir: string; file: string }

export interface StaleCleanup {
  /** one line per pod cleaned up */
  cleaned: string[]
  /** one line per pod left as it was, and why */
  warnings: string[]
}

/** Remove every stale pod under stateRoot. */
export async function cleanStalePods(stateRoot: string): Promise<StaleCleanup> {
  const podsDir = join(stateRoot, 'pods')
  const result: StaleCleanup = { cleaned: [], warnings: [] }
  if (scan(podsDir).length === 0) return result
  let lock: number | undefined
  try {
    lock = await lockCleanups(stateRoot)
  } catch (err) {
    result.warnings.push(`left stale pods under ${podsDir} as they are: take the lock of their cleanup: ${describeError(err)}`)
    return result
  }
  if (lock === undefined) {
    result.warnings.push(`left stale pods under ${podsDir} to another podshim run: it has been cleaning them up for more than ${LOCK_WAIT_MAX_MS / 1000} s`)
    return result
  }
  try {
    // again, as the lock's holder: what another run cleaned meanwhile is gone
    for (const found of scan(podsDir)) await clean(found, result)
  } finally {
    closeSync(lock)
  }
  return result
}

/** What under podsDir is to be cleaned up or reported; a pod whose supervisor runs is not. */
function scan(podsDir: string): Found[] {
  let entries: Dirent[]
  try {
    entries = readdirSync(podsDir, { withFileTypes: true })
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []
    throw new Error(`look for stale pods in "${podsDir}"`, { cause: err })
  }
  const found: Found[] = []
  for (const entry of entries) {
    if (!entry.isDirectory()) continue
    const f = entry.name.startsWith('.') ? examineClaim(podsDir, entry.name) : examinePodDir(podsDir, entry.name)
    if (f !== undefined) found.push(f)
  }
  return found
}

function examineClaim(podsDir: string, name: string): Found | undefined {
  const maker = parseClaimName(name)
  if (maker === null) return undefined // not a pod's: uids never start with '.'
  if (isSupervisorAlive(maker)) return undefined
  return { kind: 'claim', dir: join(podsDir, name), uid: maker.uid, pid: maker.supervisorPid }
}

function examinePodDir(podsDir: string, uid: string): Found | undefined {
  const dir = join(podsDir, uid)
  const file = join(dir, 'pod.json')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    return errorCode(err) === 'ENOENT' ? { kind: 'recordless', dir, why: 'pod.json is missing' } : { kind: 'foreign', dir, file }
  }
  let record: unknown
  try {
    record = JSON.parse(text)
  } catch {
    return { kind: 'recordless', dir, why: text.trim() === '' ? 'pod.json is empty' : 'pod.json is not JSON' }
  }
  if (!isPodRecord(record, podsDir, uid)) return { kind: 'foreign', dir, file }
  return isSupervisorAlive(record) ? undefined : { kind: 'stale', record }
}

async function clean(found: Found, result: StaleCleanup): Promise<void> {
  if (found.kind === 'foreign') {
    result.warnings.push(`left ${found.dir} as it is: ${found.file} is not a pod record podshim wrote there`)
    return
  }
  if (found.kind === 'stale') {
    const { record } = found
    const pod = `pod "${record.name}" (${record.uid}) left behind by supervisor pid ${record.supervisorPid}`
    try {
      await removeStalePod(record)
      result.cleaned.push(`cleaned up ${pod}`)
    } catch (err) {
      result.warnings.push(`clean up ${pod}: ${describeError(err)}`)
    }
    return
  }
  const { dir } = found
  const mounts = mountsUnder(dir)
  const what = found.kind === 'claim'
    ? `the claim of pod ${found.uid} by supervisor pid ${found.pid}, killed as it made or removed its pod`
    : `a pod directory with no record (${found.why})`
  if (mounts.length > 0) {
    result.warnings.push(`left ${dir} as it is: ${what}, with ${mounts.join(', ')} mounted under it: ` +
      `if no podshim run uses it, unmount that (umount -l) and remove it (rm -r ${dir})`)
    return
  }
  if (found.kind === 'recordless') {
    const st = statSync(dir, { throwIfNoEntry: false })
    if (st === undefined) return // removed meanwhile, by the run that was removing it
    const ageMs = Date.now() - st.mtimeMs
    if (!(ageMs >= RECORDLESS_GRACE_MS)) {
      result.warnings.push(`left ${dir} as it is for now: ${what}, changed ${Math.max(0, Math.round(ageMs / 1000))} s ago, ` +
        `so a podshim run may still be removing it; a run ${RECORDLESS_GRACE_MS / 1000} s after that removes it (or rm -r ${dir})`)
      return
    }
  }
  try {
    removeTree(dir)
    result.cleaned.push(`removed ${dir}: ${what}`)
  } catch (err) {
    // gone meanwhile: the run that was removing it did the job
    if (errorCode(err) !== 'ENOENT') result.warnings.push(`remove ${dir}: ${describeError(err)}`)
  }
}

/** Take the cleanup lock of stateRoot, waiting while another run holds it; its fd (close it to release), or undefined after LOCK_WAIT_MAX_MS. */
async function lockCleanups(stateRoot: string): Promise<number | undefined> {
  const path = join(stateRoot, LOCK_FILE)
  // the file stays: removing it would let a waiter lock an unlinked inode beside a new holder
  const fd = openSync(path, 'a', 0o600)
  try {
    const deadline = Date.now() + LOCK_WAIT_MAX_MS
    while (!tryLockExclusive(fd, path)) {
      if (Date.now() >= deadline) {
        closeSync(fd)
        return undefined
      }
      await sleep(LOCK_POLL_MS)
    }
    return fd
  } catch (err) {
    closeSync(fd)
    throw err
  }
}
