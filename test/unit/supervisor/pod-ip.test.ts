// status.podIP / podIPs as kubelet fills them from the sandbox: podshim's
// pod has only loopback, so 127.0.0.1 (what the downward API and the probes
// use); a hostNetwork pod has the node's address.
import t from 'tap'
import { c, supervisedPod } from './fixtures/supervised-pod'

t.test('the pod\'s IP: the address its containers are reached at (loopback, or the host\'s with hostNetwork)', async (t) => {
  const pod = supervisedPod(`  restartPolicy: Never\n  containers:\n${c('app')}`)
  await pod.tick(0)
  t.match(pod.sup.status(), { podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] })
  pod.runtime.running('app').exit(0)
  await pod.done
  t.match(pod.result()!.status, { podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] }, 'kept after the sandbox is gone, as kubelet keeps the old IPs')

  const host = supervisedPod(`  restartPolicy: Never\n  hostNetwork: true\n  containers:\n${c('app')}`)
  await host.tick(0)
  const status = host.sup.status()
  t.equal(status.podIP, status.hostIP)
  t.same(status.podIPs, status.hostIPs)
  host.runtime.running('app').exit(0)
  await host.done
})
