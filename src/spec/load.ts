// Turn manifest text into plain values: YAML as kubectl reads it (so JSON too), possibly
// several files, documents and lists (`kind: List`, read as their items), of
// which exactly one object must be the Pod, and the others ConfigMaps and
// Secrets for it (as `kubectl apply -f` of a file holding a Pod and its
// ConfigMap). Nothing here knows a schema beyond `kind`; validate.ts and
// load-config-objects.ts do the rest.

import { parseAllDocuments, type Tags } from 'yaml';
import { describeValue } from './check-schema';
import type { ManifestObject } from './load-config-objects';
import { ManifestError } from './manifest-error';
import type { Problem } from './types';

/** The kinds a manifest may hold beside its Pod. */
const BESIDE_POD_KINDS: readonly string[] = ['ConfigMap', 'Secret'];

export interface ParsedManifest {
  /** the Pod, or the one object the manifest holds whatever its kind */
  pod: unknown;
  /** the ConfigMaps and Secrets beside it, in manifest order */
  objects: ManifestObject[];
}

/**
 * Scalars as kubectl's reader (sigs.k8s.io/yaml over go-yaml v2) resolves
 * them: YAML 1.1, so unquoted yes/no/on/off/y/n are booleans, 0644 is octal
 * (420) and `<<` merges; but, as go-yaml v2, no base-60 numbers (1:30 stays
 * a string) and timestamps stay strings.
 */
const KUBECTL_YAML = {
  version: '1.1',
  merge: true,
  customTags: (tags: Tags): Tags => [
    ...tags.filter((tag) => typeof tag === 'string' || (tag.format !== 'TIME' && tag.tag !== 'tag:yaml.org,2002:timestamp')),
    ...GO_INT_PREFIXES.map(([test, base]) => ({ tag: 'tag:yaml.org,2002:int', default: true, test, resolve: (text: string) => goInt(text, base) })),
  ],
} as const;

/** Integer forms Go's strconv.ParseInt(s, 0, 64) takes that YAML 1.1 does not: 0o17, and 0X/0B/0O in capitals. */
const GO_INT_PREFIXES: readonly [RegExp, number][] = [
  [/^[-+]?0[oO][0-7_]+$/, 8],
  [/^[-+]?0X[0-9a-fA-F_]+$/, 16],
  [/^[-+]?0B[01_]+$/, 2],
];

function goInt(text: string, base: number): number {
  const value = parseInt(text.replace(/^[-+]?0[a-zA-Z]/, '').replace(/_/g, ''), base);
  return text.startsWith('-') ? -value : value;
}

const YAML_POSITION_SUFFIX = / at line \d+, column \d+:?$/;

/** parseManifestObjects' Pod alone. */
export function parseManifest(text: string, source: string): unknown {
  return parseManifestObjects(text, source).pod;
}

/** One manifest text and what names it in errors (a file name, or "<stdin>"). */
export interface ManifestText {
  text: string;
  source: string;
}

/** parseManifests of a single text. */
export function parseManifestObjects(text: string, source: string): ParsedManifest {
  return parseManifests([{ text, source }]);
}

/** How errors name several manifests: `"a.yaml", "b.yaml"` (ManifestError quotes the whole). */
export function manifestsName(manifests: readonly ManifestText[]): string {
  return manifests.length === 1 ? manifests[0].source : manifests.map((m) => m.source).join(', ');
}

/**
 * Parse the manifests' texts (several files given together, as `kubectl
 * apply -f a.yaml -f b.yaml` takes them) and return the Pod document and
 * the ConfigMaps and Secrets beside it, as plain values. Empty documents
 * are ignored; a list stands for its items. A single object is returned
 * whatever its kind, so validation can say what is wrong with it; among
 * several, exactly one must have kind Pod and the rest kind ConfigMap or
 * Secret. Objects are named by document (1-based) and item, and by file
 * where there are several.
 * @throws ManifestError naming the line of a syntax error, or the document,
 *   item and kind of each object that cannot be there.
 */
export function parseManifests(manifests: readonly ManifestText[]): ParsedManifest {
  const problems: Problem[] = [];
  const values: { label: string; value: unknown }[] = [];
  for (const { text, source } of manifests) {
    const prefix = manifests.length === 1 ? '' : `${source} `;
    parseAllDocuments(text, KUBECTL_YAML).forEach((document, i) => {
      const index = i + 1;
      for (const error of document.errors) {
        const position = error.linePos?.[0];
        const where = position ? `line ${position.line}, column ${position.col}` : 'unknown position';
        const what = error.message.split('\n')[0].replace(YAML_POSITION_SUFFIX, '');
        problems.push({ path: '', message: `yaml syntax error at ${where} (${prefix}document ${index}): ${what}` });
      }
      if (document.errors.length > 0) return;
      let value: unknown;
      try {
        value = document.toJS();
      } catch (err) {
        // e.g. too many aliases ("billion laughs")
        problems.push({ path: '', message: `yaml error (${prefix}document ${index}): ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
      if (value === null || value === undefined) return;
      flatten(value, `${prefix}document ${index}`, values, problems);
    });
  }
  const source = manifestsName(manifests);
  if (problems.length > 0) throw new ManifestError(source, problems);

  if (values.length === 0) {
    throw new ManifestError(source, [{ path: '', message: `no pod found: the manifest${manifests.length === 1 ? ' is' : 's are'} empty` }]);
  }
  if (values.length === 1) return { pod: values[0].value, objects: [] };

  const pods = values.filter(({ value }) => kindOf(value) === 'Pod');
  for (const { label, value } of values) {
    const kind = kindOf(value);
    if (kind !== 'Pod' && !isBesidePod(kind)) {
      const what = kind === undefined ? 'has no kind' : `has kind ${JSON.stringify(kind)}`;
      problems.push({ path: '', message: `unexpected ${label}: ${what}: podshim runs a Pod, and beside it the manifest may hold only ConfigMaps and Secrets` });
    } else if (kind === 'Pod' && pods.length > 1) {
      problems.push({ path: '', message: `unexpected ${label}: one of ${pods.length} Pods, only one is allowed` });
    }
  }
  if (pods.length === 0) {
    problems.unshift({ path: '', message: `no pod found: none of ${values.length} ${values.some(({ label }) => label.includes(' items[')) ? 'objects' : 'documents'} has kind "Pod"` });
  }
  if (problems.length > 0) throw new ManifestError(source, problems);
  return { pod: pods[0].value, objects: values.filter(({ value }) => isBesidePod(kindOf(value))) };
}

const isBesidePod = (kind: string | undefined): boolean => kind !== undefined && BESIDE_POD_KINDS.includes(kind);

/**
 * kubectl's FlattenListVisitor: a list object (kind `List` or `…List`, as
 * meta.IsListType takes it) stands for its items, lists in it for theirs;
 * anything else is one object.
 */
function flatten(value: unknown, label: string, out: { label: string; value: unknown }[], problems: Problem[]): void {
  const kind = kindOf(value);
  if (kind === undefined || !kind.endsWith('List')) {
    out.push({ label, value });
    return;
  }
  const items = (value as Record<string, unknown>).items;
  if (items === null || items === undefined) return;
  if (!Array.isArray(items)) {
    problems.push({ path: '', message: `${label}: the items of a ${kind} must be a list (got ${describeValue(items)})` });
    return;
  }
  items.forEach((item, i) => {
    if (item !== null && item !== undefined) flatten(item, `${label} items[${i}]`, out, problems);
  });
}

function kindOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kind = (value as Record<string, unknown>).kind;
  return typeof kind === 'string' ? kind : undefined;
}
