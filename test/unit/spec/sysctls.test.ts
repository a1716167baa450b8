import t from 'tap';
import { checkAllowedUnsafeSysctls, forbiddenSysctl, isValidSysctlName, normalizeSysctlName, sysctlNamespace, sysctlProcPath } from '../../../src/spec/sysctls';

t.test('names: segments of [a-z0-9-_] joined by . or /, at most 253 characters', async (t) => {
  t.ok(isValidSysctlName('net.ipv4.ip_local_port_range'));
  t.ok(isValidSysctlName('net/ipv4/conf/eno2.100/rp_filter'));
  t.notOk(isValidSysctlName('Net.ipv4'));
  t.notOk(isValidSysctlName('net..ipv4'));
  t.notOk(isValidSysctlName('net.ipv4.'));
  t.notOk(isValidSysctlName(`a${'.b'.repeat(127)}`), '255 characters');
});

t.test('NormalizeName and the /proc/sys path', async (t) => {
  t.equal(normalizeSysctlName('net.ipv4.conf.eno2/100.rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  t.equal(normalizeSysctlName('net/ipv4/conf/eno2.100/rp_filter'), 'net.ipv4.conf.eno2/100.rp_filter');
  t.equal(sysctlProcPath('net.ipv4.conf.eno2/100.rp_filter'), '/proc/sys/net/ipv4/conf/eno2.100/rp_filter');
  t.equal(sysctlProcPath('net/ipv4/conf/eno2.100/rp_filter'), '/proc/sys/net/ipv4/conf/eno2.100/rp_filter');
  t.equal(sysctlProcPath('kernel.shm_rmid_forced'), '/proc/sys/kernel/shm_rmid_forced');
});

t.test('namespaces: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* are IPC; net.* is the network', async (t) => {
  t.equal(sysctlNamespace('kernel.shmmax'), 'ipc');
  t.equal(sysctlNamespace('kernel.msgmnb'), 'ipc');
  t.equal(sysctlNamespace('kernel.sem'), 'ipc');
  t.equal(sysctlNamespace('fs.mqueue.msg_max'), 'ipc');
  t.equal(sysctlNamespace('net/core/somaxconn'), 'net');
  t.equal(sysctlNamespace('kernel.hostname'), null);
  t.equal(sysctlNamespace('vm.swappiness'), null);
  t.equal(sysctlNamespace('kernel.semx'), null, 'kernel.sem is a name, not a prefix');
});

t.test('kubelet admission: the safe set, then --allowed-unsafe-sysctls names and prefixes', async (t) => {
  const host = { network: false, ipc: false };
  t.equal(forbiddenSysctl('net.ipv4.ip_local_port_range', [], host), null);
  t.equal(forbiddenSysctl('net/ipv4/tcp_syncookies', [], host), null, 'either separator');
  t.equal(forbiddenSysctl('kernel.msgmax', [], host), 'forbidden sysctl: "kernel.msgmax" not allowlisted');
  t.equal(forbiddenSysctl('kernel.msgmax', ['kernel.msg*'], host), null);
  t.equal(forbiddenSysctl('kernel.msgmax', ['kernel.msgmax'], host), null);
  t.equal(forbiddenSysctl('net.core.somaxconn', ['net.core.somaxconn'], host), null);
  t.equal(forbiddenSysctl('net.core.somaxconn', ['kernel.msg*'], host), 'forbidden sysctl: "net.core.somaxconn" not allowlisted');
  t.equal(forbiddenSysctl('kernel.shm_rmid_forced', [], { network: false, ipc: true }), 'forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled');
});

t.test('--allowed-unsafe-sysctls takes only namespaced sysctls, as kubelet', async (t) => {
  t.doesNotThrow(() => checkAllowedUnsafeSysctls(['kernel.msg*', 'net.*', 'fs.mqueue.*', 'kernel.sem', 'net.core.somaxconn']));
  t.throws(() => checkAllowedUnsafeSysctls(['kernel.msg*', 'vm.swappiness']), { message: 'the sysctls "vm.swappiness" are not known to be namespaced' });
  t.throws(() => checkAllowedUnsafeSysctls(['kernel.*']), { message: 'the sysctls "kernel." are not known to be namespaced' });
  t.throws(() => checkAllowedUnsafeSysctls(['net.*.foo']), { message: /^sysctl "net\.\*\.foo" must have at most 253 characters and match regex / }, 'a * only at the end');
  t.throws(() => checkAllowedUnsafeSysctls(['Net.core']), { message: /must have at most 253 characters/ });
});
