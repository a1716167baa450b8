// The signals a container's `lifecycle.stopSignal` may name, as the API
// server validates it (KEP-4960, ContainerStopSignals): only in a pod whose
// `spec.os.name` is set; on linux, the names Go's Signal type lists
// (SIGRTMIN+n and SIGRTMAX-n included), on windows SIGKILL and SIGTERM.
// The container's stop signal then wins over its image's STOPSIGNAL, which
// wins over SIGTERM (supervisor/signals.ts turns the name into a number).
// The rules and the list are the KEP's; the text for a pod without
// spec.os.name is podshim's own wording of that rule (the API server's
// source was not at hand to check its message against).

import type { Reporter } from './check-schema';
import { oneOf } from './validate-rules';

const NAMED = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT',
  'SIGKILL', 'SIGPIPE', 'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP', 'SIGSYS', 'SIGTERM', 'SIGTRAP',
  'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
];
const REALTIME = [
  'SIGRTMIN', ...Array.from({ length: 15 }, (_, i) => `SIGRTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `SIGRTMAX-${14 - i}`), 'SIGRTMAX',
];
/** supportedStopSignalsLinux, sorted as the API server lists them (sets.List) */
export const LINUX_STOP_SIGNALS: readonly string[] = [...NAMED, ...REALTIME].sort();
const WINDOWS_STOP_SIGNALS: readonly string[] = ['SIGKILL', 'SIGTERM'];

/** A container's lifecycle.stopSignal at `path`, in a pod of OS `osName` (undefined: spec.os unset). */
export function checkStopSignal(report: Reporter, path: string, signal: string, osName: string | undefined): void {
  if (osName === undefined || osName === '') {
    report.error(path, 'may not be set for containers with empty `spec.os.name`');
    return;
  }
  if (osName === 'linux') oneOf(report, path, signal, LINUX_STOP_SIGNALS);
  else if (osName === 'windows') oneOf(report, path, signal, WINDOWS_STOP_SIGNALS);
}
