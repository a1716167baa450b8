import t from 'tap'
import { signalNumber } from '../../../src/supervisor/signals'
import { LINUX_STOP_SIGNALS } from '../../../src/spec/stop-signals'

t.test('names with or without SIG, numbers, and the fallback', async (t) => {
  t.equal(signalNumber('SIGQUIT'), 3)
  t.equal(signalNumber('quit'), 3)
  t.equal(signalNumber('9'), 9)
  t.equal(signalNumber(''), 15, 'none: SIGTERM')
  t.equal(signalNumber('SIGNOPE'), 15, 'unknown: the fallback')
  t.equal(signalNumber('SIGCLD'), 17, "SIGCHLD's old name")
  t.equal(signalNumber('SIGPOLL'), 29)
  t.equal(signalNumber('SIGIOT'), 6)
})

t.test('real-time signals as containerd numbers them: RTMIN 34, RTMAX 64', async (t) => {
  t.equal(signalNumber('SIGRTMIN'), 34)
  t.equal(signalNumber('SIGRTMIN+3'), 37)
  t.equal(signalNumber('RTMAX-2'), 62)
  t.equal(signalNumber('SIGRTMAX'), 64)
  t.equal(signalNumber('SIGRTMIN-1'), 15, 'only RTMIN+n and RTMAX-n name one')
  t.equal(signalNumber('SIGRTMIN+31'), 15, 'past RTMAX')
})

t.test('every stop signal the API server takes on linux has a number of its own', async (t) => {
  t.equal(LINUX_STOP_SIGNALS.length, 65, '34 named, and the 31 real-time ones')
  for (const name of LINUX_STOP_SIGNALS) t.not(signalNumber(name, -1), -1, name)
  const numbers = new Set(LINUX_STOP_SIGNALS.map((name) => signalNumber(name)))
  // SIGCLD, SIGPOLL and SIGIOT are other names of SIGCHLD, SIGIO and SIGABRT
  t.equal(numbers.size, LINUX_STOP_SIGNALS.length - 3)
})
