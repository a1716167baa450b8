// The addon's bpf(2) calls for the device cgroup program: a program built by
// src/cgroup/device-filter.ts loads; one the verifier refuses, or an attach
// to what is not a cgroup, fails as a SyscallError naming the command.
import { closeSync, openSync } from 'node:fs'
import t from 'tap'

import { nativeApi } from '../../../src/native/addon'
import { DEFAULT_DEVICE_RULES, deviceFilterProgram } from '../../../src/cgroup/device-filter'

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: loading BPF programs needs root')
  process.exit(0)
}

t.test('the default rules load as a program', async (t) => {
  const fd = nativeApi.loadDeviceFilter(deviceFilterProgram(DEFAULT_DEVICE_RULES))
  t.teardown(() => nativeApi.close(fd))
  t.ok(fd > 2, `an fd (${fd})`)
})

t.test('a program that does not end in exit is refused by the verifier', async (t) => {
  const program = deviceFilterProgram([]).subarray(0, 8) // its first load only
  t.throws(() => nativeApi.loadDeviceFilter(program), { name: 'SyscallError', code: 'EINVAL', syscall: 'bpf', path: 'BPF_PROG_LOAD' })
})

t.test('attaching to what is not a cgroup fails, naming it', async (t) => {
  const fd = nativeApi.loadDeviceFilter(deviceFilterProgram(DEFAULT_DEVICE_RULES))
  t.teardown(() => nativeApi.close(fd))
  const notCgroup = openSync('/dev/null', 'r')
  t.teardown(() => closeSync(notCgroup))
  t.throws(() => nativeApi.attachDeviceFilter(fd, notCgroup, '/dev/null'), { name: 'SyscallError', syscall: 'bpf', path: 'BPF_PROG_ATTACH /dev/null' })
})
