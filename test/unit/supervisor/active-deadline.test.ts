import t from 'tap'
import { c, supervisedPod } from './fixtures/supervised-pod'

t.test('activeDeadlineSeconds: the pod fails with DeadlineExceeded and its containers stop, restartPolicy or not', async (t) => {
  const { sup, runtime, tick, done, result } = supervisedPod(
    `  restartPolicy: Always\n  activeDeadlineSeconds: 30\n  terminationGracePeriodSeconds: 5\n  initContainers:\n${c('side', ', restartPolicy: Always')}  containers:\n${c('app')}${c('stubborn')}`,
  )
  runtime.ignoreTerm.add('stubborn')
  await tick(0)
  await tick(0)
  t.same(runtime.started.map((p) => p.name), ['side', 'app', 'stubborn'])
  await tick(29_999)
  t.equal(sup.status().phase, 'Running', 'before the deadline')
  t.notOk(sup.events.events.some((e) => e.reason === 'DeadlineExceeded'))
  await tick(1)
  t.match(sup.events.events.find((e) => e.reason === 'DeadlineExceeded'), { type: 'Normal', message: 'Pod was active on the node longer than the specified deadline' })
  t.same(runtime.running('app').signals, [15], 'TERM')
  await tick(5000)
  t.same(runtime.started.find((p) => p.name === 'stubborn')!.signals, [15, 9], 'KILL at the grace period')
  await done
  const { status, exitCode } = result()!
  t.match(status, { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' })
  t.equal(runtime.started.length, 3, 'nothing restarted')
  t.equal(exitCode, 1, 'the pod failed as a whole: 1, not the code of a container it killed (143)')
})

t.test('activeDeadlineSeconds: a container that exits 0 on TERM leaves the pod Failed', async (t) => {
  const { runtime, tick, done, result } = supervisedPod(`  restartPolicy: Never\n  activeDeadlineSeconds: 1\n  containers:\n${c('app')}`)
  runtime.termExitCode.set('app', 0)
  await tick(0)
  await tick(1000)
  await done
  t.match(result()!.status, { phase: 'Failed', reason: 'DeadlineExceeded' })
  t.match(result()!.status.containerStatuses[0].state.terminated, { exitCode: 0, reason: 'Completed' })
  t.equal(result()!.exitCode, 1, 'and 1 with no failed container')
})

t.test('a pod done before its deadline is not touched by it', async (t) => {
  const { sup, runtime, tick, done, result, clock } = supervisedPod(`  restartPolicy: Never\n  activeDeadlineSeconds: 10\n  containers:\n${c('app')}`)
  await tick(0)
  runtime.running('app').exit(0)
  await done
  clock.advance(60_000)
  t.match(result()!.status, { phase: 'Succeeded' })
  t.equal(result()!.status.reason, undefined)
  t.notOk(sup.events.events.some((e) => e.reason === 'DeadlineExceeded'))
})
