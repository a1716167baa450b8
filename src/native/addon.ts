// Loads the native addon (build/Release/podshim_native.node) and wraps its
// raw, number-only results into the NativeApi contract: negative errnos
// become SyscallErrors, a child's failure becomes a SpawnError. Loaded on
// first use, so importing this module costs nothing where it is never called.

import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'

import type { ExitStatus, NativeApi, SpawnPlan, SpawnedProcess } from './contract'
import { KernelTooOldError, SpawnError, isKernelTooOld } from './spawn-error'
import { SyscallError, checkErrno } from './syscall-error'

/** What native/addon.cc exports: data in, data out, errors as numbers. */
interface RawAddon {
  spawn(plan: SpawnPlan): SpawnedProcess | { opIndex: number; errno: number } | { syscall: string; errno: number }
  watchExit(pidfd: number, onExit: (status: ExitStatus) => void): number
  signal(pidfd: number, signal: number): number
  pipe(): [number, number] | number
  close(fd: number): number
  loadDeviceFilter(program: Buffer): number
  attachDeviceFilter(progFd: number, cgroupFd: number): number
}

function isPodshimRoot(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'podshim'
  } catch {
    return false
  }
}

/** The directory holding podshim's package.json, from dist/native or src/native alike. */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (isPodshimRoot(dir)) return dir
    if (dirname(dir) === dir) throw new Error(`find podshim's package root above '${start}'`)
  }
}

const PACKAGE_ROOT = findPackageRoot(__dirname)
const BUILD_DIR = join(PACKAGE_ROOT, 'build', 'Release')

/** Absolute path of the pause executable (native/pause.c). */
export const PAUSE_PATH = join(BUILD_DIR, 'pause')

/** Absolute path of the addon itself. */
export const ADDON_PATH = join(BUILD_DIR, 'podshim_native.node')

let raw: RawAddon | undefined

function loadRaw(): RawAddon {
  if (raw) return raw
  try {
    raw = require(ADDON_PATH) as RawAddon
  } catch (cause) {
    throw new Error(`load native addon '${ADDON_PATH}' (run \`npm run build\`)`, { cause })
  }
  return raw
}

function spawn(plan: SpawnPlan): SpawnedProcess {
  const result = loadRaw().spawn(plan)
  if ('pidfd' in result) return { pid: result.pid, pidfd: result.pidfd }
  if ('syscall' in result) {
    const err = new SyscallError(result.syscall, result.errno)
    throw isKernelTooOld(result.syscall, result.errno) ? new KernelTooOldError(err) : err
  }
  const err = new SpawnError(result, plan.ops)
  throw isKernelTooOld(err.step.syscall, err.errno) ? new KernelTooOldError(err) : err
}

function watchExit(pidfd: number, onExit: (status: ExitStatus) => void): void {
  checkErrno(loadRaw().watchExit(pidfd, onExit), 'epoll_ctl', { path: `pidfd ${pidfd}` })
}

function signal(pidfd: number, signal: number): void {
  const rc = loadRaw().signal(pidfd, signal)
  if (rc === -constants.errno.ESRCH) return // it already exited
  checkErrno(rc, 'pidfd_send_signal')
}

function pipe(): [number, number] {
  return checkErrno(loadRaw().pipe(), 'pipe2')
}

function close(fd: number): void {
  checkErrno(loadRaw().close(fd), 'close')
}

function loadDeviceFilter(program: Buffer): number {
  return checkErrno(loadRaw().loadDeviceFilter(program), 'bpf', { path: 'BPF_PROG_LOAD' })
}

function attachDeviceFilter(progFd: number, cgroupFd: number, cgroupPath: string): void {
  checkErrno(loadRaw().attachDeviceFilter(progFd, cgroupFd), 'bpf', { path: `BPF_PROG_ATTACH ${cgroupPath}` })
}

/** The real NativeApi; the addon is loaded on the first call. */
export const nativeApi: NativeApi = { spawn, watchExit, signal, pipe, close, loadDeviceFilter, attachDeviceFilter }
