import t from 'tap';
import { podWith, problemsOf, warningsOf, runCases, type Raw, type RuleCase } from './fixtures/pods';

const c0 = 'spec.containers[0]';
const withContainer = (change: Raw) => (p: Raw) => { Object.assign(p.spec.containers[0], change); };
const exec = { exec: { command: ['true'] } };

const cases: RuleCase[] = [
  ['no handler', withContainer({ livenessProbe: { periodSeconds: 5 } }), `${c0}.livenessProbe: must specify a handler type`, withContainer({ livenessProbe: { ...exec, periodSeconds: 5 } })],
  ['two handlers', withContainer({ readinessProbe: { ...exec, tcpSocket: { port: 80 } } }), `${c0}.readinessProbe: may not specify more than 1 handler type (got exec, tcpSocket)`, withContainer({ readinessProbe: { tcpSocket: { port: 80, host: '127.0.0.1' } } })],
  ['grpc plus exec', withContainer({ startupProbe: { ...exec, grpc: { port: 9000 } } }), `${c0}.startupProbe: may not specify more than 1 handler type (got exec, grpc)`, withContainer({ startupProbe: { grpc: { port: 9000 } } })],
  ['exec command', withContainer({ livenessProbe: { exec: {} } }), `${c0}.livenessProbe.exec.command: required value`, () => {}],
  ['negative initialDelaySeconds', withContainer({ livenessProbe: { ...exec, initialDelaySeconds: -1 } }), `${c0}.livenessProbe.initialDelaySeconds: must be greater than or equal to 0 (got -1)`, withContainer({ livenessProbe: { ...exec, initialDelaySeconds: 0 } })],
  ['negative periodSeconds', withContainer({ livenessProbe: { ...exec, periodSeconds: -1 } }), `${c0}.livenessProbe.periodSeconds: must be greater than or equal to 0 (got -1)`, withContainer({ livenessProbe: { ...exec, periodSeconds: 0, timeoutSeconds: 0, failureThreshold: 0, successThreshold: 0 } })],
  ['negative timeoutSeconds', withContainer({ readinessProbe: { ...exec, timeoutSeconds: -5 } }), `${c0}.readinessProbe.timeoutSeconds: must be greater than or equal to 0 (got -5)`, () => {}],
  ['negative failureThreshold', withContainer({ readinessProbe: { ...exec, failureThreshold: -1 } }), `${c0}.readinessProbe.failureThreshold: must be greater than or equal to 0`, () => {}],
  ['periodSeconds type', withContainer({ readinessProbe: { ...exec, periodSeconds: '10s' } }), `${c0}.readinessProbe.periodSeconds: must be a 32-bit integer (got string "10s")`, () => {}],
  ['liveness successThreshold', withContainer({ livenessProbe: { ...exec, successThreshold: 3 } }), `${c0}.livenessProbe.successThreshold: must be 1 (got 3)`, withContainer({ livenessProbe: { ...exec, successThreshold: 1 }, readinessProbe: { ...exec, successThreshold: 3 } })],
  ['startup successThreshold', withContainer({ startupProbe: { ...exec, successThreshold: 2 } }), `${c0}.startupProbe.successThreshold: must be 1 (got 2)`, () => {}],
  ['readiness terminationGracePeriodSeconds', withContainer({ readinessProbe: { ...exec, terminationGracePeriodSeconds: 5 } }), `${c0}.readinessProbe.terminationGracePeriodSeconds: must not be set for readinessProbes`, withContainer({ livenessProbe: { ...exec, terminationGracePeriodSeconds: 5 } })],
  ['liveness terminationGracePeriodSeconds', withContainer({ livenessProbe: { ...exec, terminationGracePeriodSeconds: 0 } }), `${c0}.livenessProbe.terminationGracePeriodSeconds: must be greater than 0 (got 0)`, () => {}],
  ['httpGet port range', withContainer({ livenessProbe: { httpGet: { port: 0 } } }), `${c0}.livenessProbe.httpGet.port: must be between 1 and 65535, inclusive (got 0)`, withContainer({ livenessProbe: { httpGet: { port: 'http', path: '/healthz', scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: '1' }] } } })],
  ['httpGet port missing', withContainer({ livenessProbe: { httpGet: { path: '/' } } }), `${c0}.livenessProbe.httpGet.port: required value`, () => {}],
  ['httpGet port name', withContainer({ livenessProbe: { httpGet: { port: 'Web_Port' } } }), `${c0}.livenessProbe.httpGet.port: must contain only alpha-numeric characters`, () => {}],
  ['httpGet port type', withContainer({ livenessProbe: { httpGet: { port: 80.5 } } }), `${c0}.livenessProbe.httpGet.port: must be an integer or a string (got number 80.5)`, () => {}],
  ['httpGet scheme', withContainer({ livenessProbe: { httpGet: { port: 80, scheme: 'http' } } }), `${c0}.livenessProbe.httpGet.scheme: unsupported value "http": supported values: "HTTP", "HTTPS"`, () => {}],
  ['httpGet header name', withContainer({ livenessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'Bad Header', value: 'x' }] } } }), `${c0}.livenessProbe.httpGet.httpHeaders[0].name: must be a valid HTTP header name`, () => {}],
  ['tcpSocket port', withContainer({ livenessProbe: { tcpSocket: { port: 65536 } } }), `${c0}.livenessProbe.tcpSocket.port: must be between 1 and 65535, inclusive (got 65536)`, () => {}],
  ['lifecycle no handler', withContainer({ lifecycle: { postStart: {} } }), `${c0}.lifecycle.postStart: must specify a handler type: one of exec, httpGet, tcpSocket, sleep`, withContainer({ lifecycle: { postStart: exec, preStop: { httpGet: { port: 8080, path: '/stop' } } } })],
  ['lifecycle two handlers', withContainer({ lifecycle: { preStop: { ...exec, sleep: { seconds: 1 } } } }), `${c0}.lifecycle.preStop: may not specify more than 1 handler type (got exec, sleep)`, () => {}],
  ['sleep over grace', withContainer({ lifecycle: { preStop: { sleep: { seconds: 31 } } } }), `${c0}.lifecycle.preStop.sleep.seconds: must be non-negative and at most terminationGracePeriodSeconds (30) (got 31)`, withContainer({ lifecycle: { preStop: { sleep: { seconds: 30 } } } })],
  ['sleep under a short grace', (p) => { p.spec.terminationGracePeriodSeconds = 5; p.spec.containers[0].lifecycle = { preStop: { sleep: { seconds: 10 } } }; }, `${c0}.lifecycle.preStop.sleep.seconds: must be non-negative and at most terminationGracePeriodSeconds (5) (got 10)`, () => {}],
  ['sleep negative', withContainer({ lifecycle: { preStop: { sleep: { seconds: -1 } } } }), `${c0}.lifecycle.preStop.sleep.seconds: must be non-negative`, withContainer({ lifecycle: { preStop: { sleep: { seconds: 0 } } } })],
  ['sleep in a probe is unknown', withContainer({ livenessProbe: { sleep: { seconds: 1 } } }), `${c0}.livenessProbe.sleep: unknown field`, () => {}],
];

runCases(t, cases);

t.test('a grpc probe is valid, with a port number only, and runs (no warning)', async (t) => {
  const pod = podWith(withContainer({ livenessProbe: { grpc: { port: 9000, service: 'health' } } }));
  t.same(problemsOf(pod), []);
  t.same(warningsOf(pod), []);
  t.match(problemsOf(podWith(withContainer({ livenessProbe: { grpc: { port: 70000 } } }))), [`${c0}.livenessProbe.grpc.port: must be between 1 and 65535, inclusive (got 70000)`]);
  t.match(problemsOf(podWith(withContainer({ livenessProbe: { grpc: { service: 'x' } } }))), [`${c0}.livenessProbe.grpc.port: required value`]);
  t.match(problemsOf(podWith(withContainer({ livenessProbe: { grpc: { port: 'grpc' } } }))), [`${c0}.livenessProbe.grpc.port: must be a 32-bit integer (got string "grpc")`]);
});

t.test('probe numbers are int32, as in the API types', async (t) => {
  t.same(problemsOf(podWith(withContainer({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 2147483647 } }))), []);
  t.same(problemsOf(podWith(withContainer({ livenessProbe: { exec: { command: ['true'] }, periodSeconds: 99999999999 } }))),
    [`${c0}.livenessProbe.periodSeconds: must be a 32-bit integer (got number 99999999999)`]);
});
