// The downward API's selectors, as Kubernetes validates them
// (pkg/apis/core/validation), for env vars and downwardAPI volume files
// alike: validateObjectFieldSelector (a fieldRef: apiVersion v1, one of the
// field paths its user allows, or a label or annotation by key) and
// validateContainerResourceFieldSelector (a resourceFieldRef: which
// resources it may name, and the divisors each takes; an env var may leave
// containerName out, its own container, a volume file must name one).

import type { Reporter } from './check-schema';
import { qualifiedName } from './names';
import type { Quantity } from './quantity';
import type { ObjectFieldSelector, ResourceFieldSelector } from './types';
import { checkName, checkQuantity, got, oneOf, oneOfDefaulted, required } from './validate-rules';

const SUBSCRIPTED_FIELD_RE = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** `metadata.labels['k']` / `metadata.annotations['k']` as which map and key, or null for any other field path. */
export function subscriptedField(fieldPath: string): { map: 'labels' | 'annotations'; key: string } | null {
  const match = SUBSCRIPTED_FIELD_RE.exec(fieldPath);
  return match === null ? null : { map: match[1] as 'labels' | 'annotations', key: match[2] };
}

/** The pod's label or annotation a subscripted field path names, "" where the pod has none; null for another field path. */
export function subscriptedValue(metadata: { labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>> }, fieldPath: string): string | null {
  const field = subscriptedField(fieldPath);
  return field === null ? null : (metadata[field.map][field.key] ?? '');
}

/** A fieldRef at `path`: `fieldPaths` are those its user allows besides a label or annotation by key. */
export function checkObjectFieldSelector(report: Reporter, path: string, ref: ObjectFieldSelector, fieldPaths: readonly string[]): void {
  oneOfDefaulted(report, `${path}.apiVersion`, ref.apiVersion, ['v1']);
  if (!required(report, `${path}.fieldPath`, ref.fieldPath)) return;
  const subscripted = subscriptedField(ref.fieldPath);
  if (subscripted !== null) {
    // an annotation key is checked lowercased, as ValidateAnnotations does
    checkName(report, `${path}.fieldPath`, subscripted.map === 'annotations' ? subscripted.key.toLowerCase() : subscripted.key, qualifiedName);
  } else {
    oneOf(report, `${path}.fieldPath`, ref.fieldPath, [...fieldPaths, "metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"]);
  }
}

const RESOURCE_FIELDS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const HUGEPAGES_FIELD_RE = /^(limits|requests)\.hugepages-/;
/**
 * The divisors validateContainerResourceDivisor takes, by their canonical
 * form: 1m and 1 for cpu; 1, 1k … 1E and 1Ki … 1Ei for the rest. A written
 * divisor has that form when its value matches in the same family ("1000m"
 * and "1024Ki" do; "1024" and "1e3" stay as written, and are refused).
 */
const DECIMAL_DIVISOR_NANOS = [0n, 3n, 6n, 9n, 12n, 15n, 18n].map((e) => 10n ** e * 1_000_000_000n);
const BINARY_DIVISOR_NANOS = [10n, 20n, 30n, 40n, 50n, 60n].map((e) => (1n << e) * 1_000_000_000n);
const CPU_DIVISOR_NANOS = [1_000_000n, 1_000_000_000n];

function isAllowedDivisor(divisor: Quantity, isCpu: boolean): boolean {
  if (divisor.format === 'DecimalSI') return (isCpu ? CPU_DIVISOR_NANOS : DECIMAL_DIVISOR_NANOS).includes(divisor.nanos);
  return !isCpu && divisor.format === 'BinarySI' && BINARY_DIVISOR_NANOS.includes(divisor.nanos);
}

/** A resourceFieldRef at `path`; `isVolume`: a downwardAPI volume's, where containerName is required. */
export function checkResourceFieldSelector(report: Reporter, path: string, ref: ResourceFieldSelector, isVolume: boolean): void {
  if (isVolume) required(report, `${path}.containerName`, ref.containerName);
  if (!required(report, `${path}.resource`, ref.resource)) return;
  if (!HUGEPAGES_FIELD_RE.test(ref.resource)) oneOf(report, `${path}.resource`, ref.resource, RESOURCE_FIELDS);
  if (ref.divisor === undefined) return;
  const divisor = checkQuantity(report, `${path}.divisor`, ref.divisor);
  if (divisor === undefined || divisor.nanos === 0n) return;
  const isCpu = ref.resource.endsWith('.cpu');
  const what = isCpu ? 'the cpu' : ref.resource.endsWith('.memory') ? 'the memory' : ref.resource.endsWith('.ephemeral-storage') ? 'the local ephemeral storage' : 'the hugepages';
  if (!isAllowedDivisor(divisor, isCpu)) {
    const allowed = isCpu ? '1m and 1' : '1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei';
    report.error(`${path}.divisor`, `only divisor's values ${allowed} are supported with ${what} resource ${got(ref.divisor)}`);
  }
}
