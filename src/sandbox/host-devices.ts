// The host's device nodes a privileged container gets in its /dev, as
// containerd lists them for one (its HostDevices): every character and block
// device under /dev, in subdirectories too, except in directories named
// as those a container has of its own (pts, shm, mqueue, fd) or as runtime
// bookkeeping (.lxc, .lxd-mounts, .udev), at any depth as runc skips them,
// and except nodes named console or ptmx (a container's /dev/ptmx is its
// own devpts' ptmx). Read from /dev at each privileged start, so a device
// plugged in since is there.
import { lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** A device node as the container gets it: its path under /dev, type and permissions, number, owner. */
export interface HostDevice {
  /** relative to /dev, e.g. "net/tun" */
  name: string
  /** st_mode: S_IFCHR or S_IFBLK and the permission bits */
  mode: number
  major: number
  minor: number
  uid: number
  gid: number
}

const SKIPPED_DIRS = new Set(['pts', 'shm', 'mqueue', 'fd', '.lxc', '.lxd-mounts', '.udev'])
const SKIPPED_NODES = new Set(['console', 'ptmx'])

/** glibc's major(3)/minor(3) of a Linux dev_t */
export function deviceNumber(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev & 0xfff00n) >> 8n) | ((rdev & 0xfffff00000000000n) >> 32n)),
    minor: Number((rdev & 0xffn) | ((rdev & 0xffffff00000n) >> 12n)),
  }
}

export function hostDevices(devDir = '/dev'): HostDevice[] {
  const found: HostDevice[] = []
  const walk = (relative: string): void => {
    let entries
    try {
      entries = readdirSync(join(devDir, relative), { withFileTypes: true })
    } catch {
      return // gone, or unreadable: not a device of ours to give
    }
    for (const entry of entries) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(name)
      } else if ((entry.isCharacterDevice() || entry.isBlockDevice()) && !SKIPPED_NODES.has(entry.name)) {
        const st = lstatSync(join(devDir, name), { bigint: true, throwIfNoEntry: false })
        if (st === undefined) continue
        found.push({ name, mode: Number(st.mode), ...deviceNumber(st.rdev), uid: Number(st.uid), gid: Number(st.gid) })
      }
    }
  }
  walk('')
  return found.sort((a, b) => a.name.localeCompare(b.name))
}
