// What a pod's containers share, proven by using it: a TCP connection over
// 127.0.0.1, SysV shared memory (IPC namespace), POSIX shared memory on the
// pod's /dev/shm, and an emptyDir (a readOnly mount of it refuses writes).
// The server sets everything up, then writes /data/ready; the client waits
// for that file, then uses each shared thing and prints what it found. Both
// kinds of shared memory outlive the run in their namespace (the server
// removes neither), so after the run the host is checked for them: with
// hostIPC they would still be there.

import t from 'tap'
import { existsSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { containerLines, keyValues, podEnv, podManifest, shContainer } from './fixtures/helpers'

/** The host's SysV segments as `key shmid` pairs (ipcs -m -i exits 0 even for a missing id). */
function hostSegments(): string[] {
  return execFileSync('ipcs', ['-m'], { encoding: 'utf8' }).split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => /^0x/.test(f[0])).map((f) => `${f[0]} ${f[1]}`)
}

if (process.getuid?.() !== 0) {
  t.plan(0, 'skip: needs root to create namespaces and cgroups')
  process.exit(0)
}

const SERVER = `
import os, socket, subprocess
from multiprocessing import resource_tracker, shared_memory
shm = shared_memory.SharedMemory(name=os.environ['SHM'], create=True, size=64)
resource_tracker.unregister(shm._name, 'shared_memory')  # left in place: the host must not see it
shm.buf[:12] = b'posix-shm-ok'
key = subprocess.run(['ipcmk', '-M', '64'], capture_output=True, text=True).stdout.split()[-1]
print('sysv_id=' + key, flush=True)
print('sysv_key=' + next(l.split()[0] for l in subprocess.run(['ipcs', '-m'], capture_output=True, text=True).stdout.splitlines() if l.split()[1:2] == [key]), flush=True)
open('/data/message', 'w').write('written by server\\n')
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 7070))
s.listen(1)
open('/data/ready', 'w').write(key)
conn, peer = s.accept()
conn.sendall(b'hello over localhost\\n')
print('peer=' + peer[0], flush=True)
conn.recv(16)  # the client closes once it read the shared memory
shm.close()
`

const CLIENT = `
import os, socket, subprocess, time
from multiprocessing import resource_tracker, shared_memory
while not os.path.exists('/data/ready'):
    time.sleep(0.02)
sysv = open('/data/ready').read()
print('sysv_visible=' + str(sysv in subprocess.run(['ipcs', '-m', '-i', sysv], capture_output=True, text=True).stdout), flush=True)
shm = shared_memory.SharedMemory(name=os.environ['SHM'])
resource_tracker.unregister(shm._name, 'shared_memory')  # the server owns it
print('posix_shm=' + bytes(shm.buf[:12]).decode(), flush=True)
shm.close()
print('message=' + open('/data/message').read().strip(), flush=True)
try:
    open('/ro/refused', 'w')
    print('readonly=writable')
except OSError as e:
    print('readonly=' + os.strerror(e.errno))
c = socket.create_connection(('127.0.0.1', 7070), timeout=5)
print('tcp=' + c.makefile().readline().strip(), flush=True)
c.close()
`

t.test('two containers share localhost, SysV and POSIX shared memory and an emptyDir', async (t) => {
  const env = podEnv(t)
  const shmName = `podshim-test-${randomBytes(4).toString('hex')}`
  const common = { env: [{ name: 'SHM', value: shmName }] }
  const pod = podManifest('sharing', [
    shContainer('server', `exec python3 -c "$PY"`, { ...common, env: [...common.env, { name: 'PY', value: SERVER }], volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
    shContainer('client', `exec python3 -c "$PY"`, {
      ...common, env: [...common.env, { name: 'PY', value: CLIENT }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'data', mountPath: '/ro', readOnly: true }],
    }),
  ], { volumes: [{ name: 'data', emptyDir: {} }] })
  let segment: string | undefined
  t.teardown(() => {
    // only if isolation failed: what the server made on the host (its random name; its key and id)
    rmSync(`/dev/shm/${shmName}`, { force: true })
    if (segment === undefined || !hostSegments().includes(segment)) return
    try {
      execFileSync('ipcrm', ['-m', segment.split(' ')[1]], { stdio: 'ignore' })
    } catch {
      // gone meanwhile
    }
  })
  const r = await env.run(pod)
  t.equal(r.code, 0, 'podshim run exits 0', { output: r.stdout + r.stderr })
  const server = keyValues(containerLines(r.stdout, 'server'))
  const client = keyValues(containerLines(r.stdout, 'client'))
  segment = `${server.get('sysv_key')} ${server.get('sysv_id')}`
  t.equal(client.get('tcp'), 'hello over localhost', 'the client read the server\'s reply over 127.0.0.1')
  t.equal(server.get('peer'), '127.0.0.1', 'the server saw a loopback peer')
  t.equal(client.get('sysv_visible'), 'True', 'the SysV segment made by the server is visible in the client')
  t.match(segment, /^0x[0-9a-f]+ \d+$/, 'the server printed its segment\'s key and id')
  t.notOk(hostSegments().includes(segment), 'the host has no such segment: it went with the pod\'s IPC namespace')
  t.equal(client.get('posix_shm'), 'posix-shm-ok', 'POSIX shared memory on /dev/shm is shared')
  t.notOk(existsSync(`/dev/shm/${shmName}`), 'the host\'s /dev/shm does not have it: it went with the pod\'s /dev/shm')
  t.equal(client.get('message'), 'written by server', 'a file written to the emptyDir by one container is read by the other')
  t.equal(client.get('readonly'), 'Read-only file system', 'a readOnly mount of the emptyDir refuses writes')
})
