import t from 'tap'

import { formatSummary } from '../../../src/commands/summary'
import type { ContainerStatus, PodStatus } from '../../../src/supervisor/status'

function terminated(name: string, exitCode: number, message?: string): ContainerStatus {
  return {
    name, restartCount: 0, ready: false, started: false, image: 'podshim/host', imageID: '', containerID: '',
    state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(message === undefined ? {} : { message }) } },
  } as unknown as ContainerStatus
}

t.test('one row per container, and each message under its name, every line of it', (t) => {
  const status = { phase: 'Failed', containerStatuses: [terminated('web', 1, 'line one\nline two\n'), terminated('side', 0)] } as unknown as PodStatus
  t.equal(formatSummary('p', status), [
    'pod "p" Failed',
    'CONTAINER  KIND  STATE       REASON     EXIT  RESTARTS',
    'web        app   Terminated  Error      1     0',
    'side       app   Terminated  Completed  0     0',
    'messages:',
    '  web: line one',
    '    line two',
    '',
  ].join('\n'))
  t.end()
})

t.test('a pod failed as a whole says why', (t) => {
  const status = { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', containerStatuses: [terminated('web', 143)] } as unknown as PodStatus
  t.equal(formatSummary('p', status).split('\n')[0], 'pod "p" Failed (DeadlineExceeded): Pod was active on the node longer than the specified deadline')
  t.end()
})
