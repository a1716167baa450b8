// Turn manifest text into a plain value: YAML 1.2 (so JSON too), possibly
// several documents, of which exactly one must be the Pod. Nothing here
// knows the Pod schema beyond `kind`; validate.ts does the rest.

import { parseAllDocuments } from 'yaml';
import { ManifestError } from './manifest-error';
import type { Problem } from './types';

const YAML_POSITION_SUFFIX = / at line \d+, column \d+:?$/;

/**
 * Parse `text` (named `source` in errors) and return the Pod document as a
 * plain value. Empty documents are ignored. A single non-empty document is
 * returned whatever its kind, so validation can say what is wrong with it;
 * among several, exactly one must have kind Pod.
 * @throws ManifestError naming the line of a syntax error, or the index
 *   (1-based) and kind of each document that is not the Pod.
 */
export function parseManifest(text: string, source: string): unknown {
  // merge keys (`<<: *base`) as kubectl's YAML 1.1 reader takes them
  const documents = parseAllDocuments(text, { merge: true });
  const problems: Problem[] = [];
  const values: { index: number; value: unknown }[] = [];

  documents.forEach((document, i) => {
    const index = i + 1;
    for (const error of document.errors) {
      const position = error.linePos?.[0];
      const where = position ? `line ${position.line}, column ${position.col}` : 'unknown position';
      const what = error.message.split('\n')[0].replace(YAML_POSITION_SUFFIX, '');
      problems.push({ path: '', message: `yaml syntax error at ${where} (document ${index}): ${what}` });
    }
    if (document.errors.length > 0) return;
    let value: unknown;
    try {
      value = document.toJS();
    } catch (err) {
      // e.g. too many aliases ("billion laughs")
      problems.push({ path: '', message: `yaml error (document ${index}): ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    if (value !== null && value !== undefined) values.push({ index, value });
  });
  if (problems.length > 0) throw new ManifestError(source, problems);

  if (values.length === 0) {
    throw new ManifestError(source, [{ path: '', message: 'no pod found: the manifest is empty' }]);
  }
  if (values.length === 1) return values[0].value;

  const pods = values.filter(({ value }) => kindOf(value) === 'Pod');
  for (const { index, value } of values) {
    const kind = kindOf(value);
    if (kind !== 'Pod') {
      const what = kind === undefined ? 'has no kind' : `has kind ${JSON.stringify(kind)}`;
      problems.push({ path: '', message: `unexpected document ${index}: ${what}, only one Pod is allowed` });
    } else if (pods.length > 1) {
      problems.push({ path: '', message: `unexpected document ${index}: one of ${pods.length} Pods, only one is allowed` });
    }
  }
  if (pods.length === 0) {
    problems.unshift({ path: '', message: `no pod found: none of ${values.length} documents has kind "Pod"` });
  }
  if (problems.length > 0) throw new ManifestError(source, problems);
  return pods[0].value;
}

function kindOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kind = (value as Record<string, unknown>).kind;
  return typeof kind === 'string' ? kind : undefined;
}
