// Shared builders for the spec tests: a minimal valid pod to mutate, and the
// problems/warnings of a raw manifest as "path: message" lines.
import { formatProblem } from '../../../src/spec/manifest-error';
import { validatePod } from '../../../src/spec/validate';

export type Raw = Record<string, any>;

export function basePod(): Raw {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] },
  };
}

/** basePod() changed by `mutate`, which may edit in place or return a replacement. */
export function podWith(mutate: (pod: Raw) => void | Raw): Raw {
  const pod = basePod();
  return mutate(pod) ?? pod;
}

export function problemsOf(raw: unknown): string[] {
  return validatePod(raw).problems.map(formatProblem);
}

export function warningsOf(raw: unknown): string[] {
  return validatePod(raw).warnings.map(formatProblem);
}
