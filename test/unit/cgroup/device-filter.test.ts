// The device program, run by a small interpreter of the few BPF
// instructions it uses, on the questions the kernel asks it (access type,
// major, minor): the default rules allow what runc's allow and refuse the
// rest; a wildcard or a partial access works as devices.allow did.
import t from 'tap'
import { DEFAULT_DEVICE_RULES, deviceFilterProgram, type DeviceRule } from '../../../src/cgroup/device-filter'

const M = 1
const R = 2
const W = 4
const BLOCK = 1
const CHAR = 2

/** Runs program on the context (access << 16 | type, major, minor); returns r0. */
function run(program: Buffer, ctx: [number, number, number]): number {
  const regs = new Array<number>(11).fill(0)
  const mem = (off: number): number => ctx[off / 4]
  for (let pc = 0, steps = 0; steps < 10_000; pc++, steps++) {
    const code = program.readUInt8(pc * 8)
    const dst = program.readUInt8(pc * 8 + 1) & 0xf
    const src = program.readUInt8(pc * 8 + 1) >> 4
    const off = program.readInt16LE(pc * 8 + 2)
    const imm = program.readInt32LE(pc * 8 + 4)
    switch (code) {
      case 0x61: t.equal(src, 1, 'loads only from the context'); regs[dst] = mem(off); break
      case 0xbc: regs[dst] = regs[src] >>> 0; break
      case 0x54: regs[dst] = (regs[dst] & imm) >>> 0; break
      case 0x74: regs[dst] = regs[dst] >>> imm; break
      case 0xb7: regs[dst] = imm; break
      case 0x55: if (regs[dst] !== imm) pc += off; break
      case 0x95: return regs[0]
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc}`)
    }
  }
  throw new Error('the program did not exit')
}

const ask = (program: Buffer, access: number, type: number, major: number, minor: number): boolean =>
  run(program, [(access << 16) | type, major, minor]) === 1

t.test('the default rules: the default devices, ptys and tun read-write, mknod of anything, nothing else', async (t) => {
  const p = deviceFilterProgram(DEFAULT_DEVICE_RULES)
  t.equal(p.length % 8, 0, 'whole 8-byte instructions')
  for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [136, 0], [136, 7], [10, 200]]) {
    t.ok(ask(p, R | W, CHAR, major, minor), `c ${major}:${minor} rw`)
  }
  t.ok(ask(p, M, BLOCK, 8, 0), 'mknod of a disk')
  t.ok(ask(p, M, CHAR, 10, 232), 'mknod of /dev/kvm')
  t.notOk(ask(p, R, BLOCK, 8, 0), 'reading a disk')
  t.notOk(ask(p, R | M, BLOCK, 8, 0), 'mknod with reading')
  t.notOk(ask(p, W, CHAR, 10, 232), 'writing /dev/kvm')
  t.notOk(ask(p, R, CHAR, 1, 1), 'reading /dev/mem')
  t.notOk(ask(p, R, BLOCK, 1, 3), 'a block device with null\'s numbers')
  t.notOk(ask(p, R, CHAR, 137, 0), 'not the pty major\'s neighbour')
})

t.test('wildcards, partial access and type a', async (t) => {
  const rules: DeviceRule[] = [
    { type: 'a', major: 7, minor: '*', access: 'r' },
    { type: 'b', major: '*', minor: 0, access: 'rw' },
  ]
  const p = deviceFilterProgram(rules)
  t.ok(ask(p, R, CHAR, 7, 3))
  t.ok(ask(p, R, BLOCK, 7, 99))
  t.notOk(ask(p, W, CHAR, 7, 3), 'r only')
  t.ok(ask(p, R | W, BLOCK, 254, 0))
  t.notOk(ask(p, M, BLOCK, 254, 0), 'no m')
  t.notOk(ask(p, R, CHAR, 254, 0), 'b only')
  t.notOk(ask(deviceFilterProgram([]), R, CHAR, 1, 3), 'no rules: nothing')
  t.throws(() => deviceFilterProgram([{ type: 'c', major: 1, minor: 3, access: 'rx' }]), /only r, w and m/)
})
