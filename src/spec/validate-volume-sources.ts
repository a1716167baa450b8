// The API server's rules for the volume sources kubelet fills from the API
// (ValidateVolumes in pkg/apis/core/validation): configMap, secret,
// downwardAPI and projected. Their file paths are relative, with no `..`
// element and no `..` start (the AtomicWriter keeps `..`-names for its own
// `..data`), their modes 0–0777, and a projected volume's sources may not
// write the same path twice. Where Kubernetes reports a downwardAPI item's
// errors without its index (`downwardAPI.path`), podshim names the item
// (`downwardAPI.items[1].path`).

import type { Reporter } from './check-schema';
import { hasBackstep } from './names';
import { UNIMPLEMENTED_PROJECTIONS } from './schema';
import type { DownwardAPIVolumeFile, KeyToPath, Volume, VolumeProjection } from './types';
import { checkObjectFieldSelector, checkResourceFieldSelector } from './validate-field-selectors';
import { got, required } from './validate-rules';

/** Kubernetes' fileModeErrorMsg */
const FILE_MODE_MESSAGE = 'must be a number between 0 and 0777 (octal), both inclusive';
const MAX_FILE_MODE = 0o777;

/** validVolumeDownwardAPIFieldPathExpressions: what a downwardAPI volume file may hold, besides a label or annotation by key */
const VOLUME_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.uid'];

/** Check the configMap, secret, downwardAPI or projected source of `volume` (at `path`, e.g. `spec.volumes[0]`). */
export function checkFileVolumeSource(report: Reporter, path: string, volume: Volume): void {
  if (volume.configMap !== undefined) checkKeySource(report, `${path}.configMap`, 'name', volume.configMap.name, volume.configMap);
  if (volume.secret !== undefined) checkKeySource(report, `${path}.secret`, 'secretName', volume.secret.secretName, volume.secret);
  if (volume.downwardAPI !== undefined) {
    const at = `${path}.downwardAPI`;
    checkFileMode(report, `${at}.defaultMode`, volume.downwardAPI.defaultMode);
    volume.downwardAPI.items?.forEach((item, i) => checkDownwardAPIFile(report, `${at}.items[${i}]`, item));
  }
  if (volume.projected !== undefined) {
    checkFileMode(report, `${path}.projected.defaultMode`, volume.projected.defaultMode);
    checkProjectionSources(report, `${path}.projected`, volume.projected.sources ?? []);
  }
}

/** validateConfigMapVolumeSource and validateSecretVolumeSource: the object's name (`nameField`), defaultMode, items */
function checkKeySource(report: Reporter, path: string, nameField: string, name: string | undefined, source: { defaultMode?: number; items?: KeyToPath[] }): void {
  required(report, `${path}.${nameField}`, name);
  checkFileMode(report, `${path}.defaultMode`, source.defaultMode);
  source.items?.forEach((item, i) => checkKeyToPath(report, `${path}.items[${i}]`, item));
}

function checkFileMode(report: Reporter, path: string, mode: number | undefined): void {
  if (mode !== undefined && (mode < 0 || mode > MAX_FILE_MODE)) report.error(path, `${FILE_MODE_MESSAGE} ${got(mode)}`);
}

/** ValidateLocalNonReservedPath: relative, no `..` element, not starting with `..` */
function checkLocalNonReservedPath(report: Reporter, path: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value.startsWith('/')) report.error(path, `must be a relative path ${got(value)}`);
  if (hasBackstep(value)) report.error(path, `must not contain '..' ${got(value)}`);
  // "../x" is said once, by the element check; "..", as in Kubernetes, twice
  if (value.startsWith('..') && !value.startsWith('../')) report.error(path, `must not start with '..' ${got(value)}`);
}

/** validateKeyToPath: key and path required (the key's form is the object's to judge), path local, mode 0–0777 */
function checkKeyToPath(report: Reporter, path: string, item: KeyToPath): void {
  required(report, `${path}.key`, item.key);
  required(report, `${path}.path`, item.path);
  checkLocalNonReservedPath(report, `${path}.path`, item.path);
  checkFileMode(report, `${path}.mode`, item.mode);
}

/** validateDownwardAPIVolumeFile: a local path, then exactly one of fieldRef (the pod's metadata) and resourceFieldRef */
function checkDownwardAPIFile(report: Reporter, path: string, file: DownwardAPIVolumeFile): void {
  required(report, `${path}.path`, file.path);
  checkLocalNonReservedPath(report, `${path}.path`, file.path);
  if (file.fieldRef !== undefined) {
    checkObjectFieldSelector(report, `${path}.fieldRef`, file.fieldRef, VOLUME_FIELD_PATHS);
    if (file.resourceFieldRef !== undefined) report.error(path, 'fieldRef and resourceFieldRef can not be specified simultaneously');
  } else if (file.resourceFieldRef !== undefined) {
    checkResourceFieldSelector(report, `${path}.resourceFieldRef`, file.resourceFieldRef, true);
  } else {
    report.error(path, 'required value: one of fieldRef and resourceFieldRef is required');
  }
  checkFileMode(report, `${path}.mode`, file.mode);
}

/**
 * validateProjectionSources: each source exactly one kind, and no path
 * written by two of them (reported at the volume, as Kubernetes does).
 */
function checkProjectionSources(report: Reporter, path: string, sources: readonly VolumeProjection[]): void {
  const paths = new Set<string>();
  // the value the API server shows is the source's name for a configMap or secret, the path for a downwardAPI file
  const claim = (file: string | undefined, shown: string | undefined): void => {
    if (file === undefined || file === '') return;
    if (paths.has(file)) report.error(path, `conflicting duplicate paths ${got(shown ?? '')}`);
    paths.add(file);
  };
  sources.forEach((source, i) => {
    const at = `${path}.sources[${i}]`;
    const kinds = [
      ...(['configMap', 'secret', 'downwardAPI'] as const).filter((k) => source[k] !== undefined),
      ...UNIMPLEMENTED_PROJECTIONS.filter((k) => report.hasWarning(`${at}.${k}`)),
    ];
    if (kinds.length > 1) report.error(at, `may not specify more than 1 volume type (got ${kinds.join(', ')})`);
    for (const kind of ['configMap', 'secret'] as const) {
      const projection = source[kind];
      if (projection === undefined) continue;
      required(report, `${at}.${kind}.name`, projection.name);
      projection.items?.forEach((item, j) => {
        checkKeyToPath(report, `${at}.${kind}.items[${j}]`, item);
        claim(item.path, projection.name);
      });
    }
    source.downwardAPI?.items?.forEach((file, j) => {
      checkDownwardAPIFile(report, `${at}.downwardAPI.items[${j}]`, file);
      claim(file.path, file.path);
    });
  });
}
