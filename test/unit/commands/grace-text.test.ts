import t from 'tap'
import { graceText } from '../../../src/commands/run'

t.test('the stop notice tells the grace period that will pass: the pod\'s, raised to kubelet\'s 2 s minimum', async (t) => {
  t.equal(graceText(30, 1), '30s')
  t.equal(graceText(2, 1), '2s')
  t.equal(graceText(0, 1), '0s, raised to kubelet\'s 2s minimum')
  t.equal(graceText(1, 1), '1s, raised to kubelet\'s 2s minimum')
})

t.test('under --time-scale, the wall time too, of the raised period', async (t) => {
  t.equal(graceText(30, 10), '30s; 3s at --time-scale 10')
  t.equal(graceText(0, 4), '0s, raised to kubelet\'s 2s minimum; 0.5s at --time-scale 4')
})
