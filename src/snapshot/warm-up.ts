// What the snapshot build runs once before V8's heap is saved, so that the
// functions every `podshim run` calls first (commander's set-up, the YAML
// parser, validation and defaults, the summary) are compiled already: V8
// keeps their bytecode in the snapshot. It must leave no state behind that
// a later run could see, and must not draw on any random source (Node would
// bake a random pool into the snapshot), hence the fixed uid.
import { buildProgram } from '../cli'
import { formatSummary } from '../commands/summary'
import { loadPod } from '../spec'
import type { PodStatus } from '../supervisor/status'

const SAMPLE = `apiVersion: v1
kind: Pod
metadata:
  name: warm-up
  labels: {app: warm-up}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  volumes:
  - name: scratch
    emptyDir: {}
  containers:
  - name: main
    image: podshim/host
    command: ["sh", "-c"]
    args: ["echo $(GREETING)"]
    env:
    - name: GREETING
      value: "hello"
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
    volumeMounts:
    - name: scratch
      mountPath: /scratch
`

export function warmUp(): void {
  // commander's parse of a `run` command line, with the action (the pod) left out
  const argv = ['node', 'podshim', 'run', '-q', '--state-root', '/nonexistent', '--time-scale', '2', 'pod.yaml']
  const program = buildProgram(argv).exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
  for (const command of program.commands) command.action(() => undefined)
  program.parse(argv)
  const fixedUid = (): string => '00000000-0000-4000-8000-000000000000'
  const { pod } = loadPod(SAMPLE, 'warm-up.yaml', { newUid: fixedUid })
  loadPod(JSON.stringify(pod), 'warm-up.json', { newUid: fixedUid })
  const terminated = { exitCode: 0, reason: 'Completed', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' }
  const status: PodStatus = {
    phase: 'Succeeded',
    conditions: [],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    qosClass: 'Burstable',
    containerStatuses: [{
      name: 'main', image: 'podshim/host', imageID: '', ready: false, started: false, restartCount: 0, state: { terminated }, lastState: {},
    }],
  }
  formatSummary('warm-up', status)
}
