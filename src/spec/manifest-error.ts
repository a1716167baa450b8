// The one error type the spec layer throws for a bad manifest: it carries
// every problem found, each with its Kubernetes field path, so the CLI can
// print them all at once.

import type { Problem } from './types';

/** `path: message`, or just the message when there is no field path. */
export function formatProblem(problem: Problem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

export class ManifestError extends Error {
  readonly source: string;
  readonly problems: Problem[];
  constructor(source: string, problems: Problem[]) {
    const lines = problems.map((p) => `  ${formatProblem(p)}`);
    super([`invalid pod manifest ${JSON.stringify(source)}`, ...lines].join('\n'));
    this.name = 'ManifestError';
    this.source = source;
    this.problems = problems;
  }
}
