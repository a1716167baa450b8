import t from 'tap'

import { CAPABILITY_NAMES, DEFAULT_CAPABILITIES, capabilityNumber, containerCapabilities } from '../../../src/sandbox/capability-sets'

const mask = (...names: string[]): number => names.reduce((m, name) => m + 2 ** (capabilityNumber(name) as number), 0)
const ALL = CAPABILITY_NAMES.reduce((m, _, n) => m + 2 ** n, 0)

t.test('names as containerd takes them: with or without CAP_, any case', async (t) => {
  t.equal(capabilityNumber('NET_ADMIN'), 12)
  t.equal(capabilityNumber('cap_net_admin'), 12)
  t.equal(capabilityNumber('CHECKPOINT_RESTORE'), 40)
  t.equal(capabilityNumber('NET_WIZARD'), undefined)
})

t.test('the default is containerd\'s set; without a device filter, without MKNOD', async (t) => {
  t.equal(containerCapabilities(undefined, true), mask(...DEFAULT_CAPABILITIES))
  t.equal(containerCapabilities(undefined, true), 0xa80425fb, 'as /proc/self/status prints CapBnd')
  t.ok(DEFAULT_CAPABILITIES.includes('MKNOD'))
  t.equal(containerCapabilities(undefined, false), 0xa00425fb, 'no device filter: no MKNOD')
  t.equal(containerCapabilities({ add: ['MKNOD'] }, false), 0xa80425fb, 'unless added')
})

t.test('add and drop: ALL first, then each named one, a drop winning', async (t) => {
  t.equal(containerCapabilities({ add: ['NET_ADMIN'] }, true), mask(...DEFAULT_CAPABILITIES, 'NET_ADMIN'))
  t.equal(containerCapabilities({ drop: ['KILL', 'cap_chown'] }, true), mask(...DEFAULT_CAPABILITIES.filter((c) => c !== 'KILL' && c !== 'CHOWN')))
  t.equal(containerCapabilities({ drop: ['ALL'] }, true), 0)
  t.equal(containerCapabilities({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, true), mask('NET_BIND_SERVICE'), 'drop ALL, add one back')
  t.equal(containerCapabilities({ add: ['ALL'], drop: ['SYS_ADMIN'] }, true), ALL - mask('SYS_ADMIN'), 'add ALL, drop one')
  t.equal(containerCapabilities({ add: ['NET_ADMIN'], drop: ['NET_ADMIN'] }, true), mask(...DEFAULT_CAPABILITIES), 'the drop wins')
})
