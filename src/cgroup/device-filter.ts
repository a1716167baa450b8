// The device rules of a container's cgroup and the BPF program that
// enforces them (cgroup v2 has no devices.allow file: a program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, answers each open or
// mknod of a device node). The rules are runc's default allow list, which
// containerd's containers get: mknod of any node, and read/write/mknod of
// the runtime-spec's default devices, the console, ptys and tun; anything
// else is refused (EPERM). Pure: native/device-filter.cc loads and
// attaches the bytes built here.
//
// The program: r1 points at struct bpf_cgroup_dev_ctx { u32 access_type
// (access << 16 | type), u32 major, u32 minor }; it returns 1 to allow.
// Each rule is a block of compares that jump to the next block on a
// mismatch; a block that falls through allows. After the last, deny.
// (include/uapi/linux/bpf.h: struct bpf_insn, BPF_DEVCG_*; bpf(2).)

/** A device cgroup rule, as the kernel's devices.allow wrote them: type, major:minor ('*' = any), access (r, w, m). */
export interface DeviceRule {
  type: 'c' | 'b' | 'a'
  major: number | '*'
  minor: number | '*'
  access: string
}

/** runc's default allowed devices (libcontainer/specconv), which containerd's containers get. */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { type: 'c', major: '*', minor: '*', access: 'm' },
  { type: 'b', major: '*', minor: '*', access: 'm' },
  { type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { type: 'c', major: 136, minor: '*', access: 'rwm' }, // pts
  { type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
]

/** BPF_DEVCG_DEV_* and BPF_DEVCG_ACC_* */
const DEV_TYPE = { b: 1, c: 2 } as const
const ACCESS = { m: 1, r: 2, w: 4 } as const
const ALL_ACCESS = ACCESS.m | ACCESS.r | ACCESS.w

/** The opcodes used: BPF class | operation | source (linux/bpf_common.h, linux/bpf.h). */
const OP = {
  loadWord: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  mov32Reg: 0xbc, // BPF_ALU | BPF_MOV | BPF_X
  and32Imm: 0x54, // BPF_ALU | BPF_AND | BPF_K
  rsh32Imm: 0x74, // BPF_ALU | BPF_RSH | BPF_K
  mov64Imm: 0xb7, // BPF_ALU64 | BPF_MOV | BPF_K
  jneImm: 0x55, // BPF_JMP | BPF_JNE | BPF_K
  exit: 0x95, // BPF_JMP | BPF_EXIT
} as const

/** Registers: r1 the context, r2 access, r3 type, r4 major, r5 minor, r6 scratch, r0 the answer. */
interface Insn {
  code: number
  dst: number
  src: number
  off: number
  imm: number
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm })

function accessBits(access: string): number {
  let bits = 0
  for (const ch of access) {
    if (!(ch in ACCESS)) throw new Error(`device rule access "${access}": only r, w and m`)
    bits |= ACCESS[ch as keyof typeof ACCESS]
  }
  return bits
}

/** One rule's block; `skip` in a jump's off is patched to the block's end. */
function ruleBlock(rule: DeviceRule): Insn[] {
  const SKIP = -1
  const block: Insn[] = []
  if (rule.type !== 'a') block.push(insn(OP.jneImm, 3, 0, SKIP, DEV_TYPE[rule.type]))
  const bits = accessBits(rule.access)
  if (bits !== ALL_ACCESS) {
    // the access asked must be within the rule's: (access & ~bits) == 0
    block.push(insn(OP.mov32Reg, 6, 2, 0, 0), insn(OP.and32Imm, 6, 0, 0, ~bits & ALL_ACCESS), insn(OP.jneImm, 6, 0, SKIP, 0))
  }
  if (rule.major !== '*') block.push(insn(OP.jneImm, 4, 0, SKIP, rule.major))
  if (rule.minor !== '*') block.push(insn(OP.jneImm, 5, 0, SKIP, rule.minor))
  block.push(insn(OP.mov64Imm, 0, 0, 0, 1), insn(OP.exit, 0, 0, 0, 0))
  // a jump's off counts the instructions after it
  return block.map((i, n) => (i.off === SKIP ? { ...i, off: block.length - n - 1 } : i))
}

/** The program allowing what rules allow, as the kernel reads it: 8 bytes per instruction, little-endian. */
export function deviceFilterProgram(rules: readonly DeviceRule[]): Buffer {
  const insns: Insn[] = [
    insn(OP.loadWord, 2, 1, 0, 0), // access_type
    insn(OP.mov32Reg, 3, 2, 0, 0),
    insn(OP.and32Imm, 3, 0, 0, 0xffff), // type
    insn(OP.rsh32Imm, 2, 0, 0, 16), // access
    insn(OP.loadWord, 4, 1, 4, 0), // major
    insn(OP.loadWord, 5, 1, 8, 0), // minor
    ...rules.flatMap(ruleBlock),
    insn(OP.mov64Imm, 0, 0, 0, 0),
    insn(OP.exit, 0, 0, 0, 0),
  ]
  const out = Buffer.alloc(insns.length * 8)
  insns.forEach((i, n) => {
    out.writeUInt8(i.code, n * 8)
    out.writeUInt8((i.src << 4) | i.dst, n * 8 + 1)
    out.writeInt16LE(i.off, n * 8 + 2)
    out.writeInt32LE(i.imm, n * 8 + 4)
  })
  return out
}
