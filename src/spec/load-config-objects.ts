// The ConfigMaps and Secrets a manifest holds beside its Pod: each
// validated as the API server validates it on create (ValidateConfigMap,
// ValidateSecret: unknown fields, a DNS-1123 name, valid config keys, no
// key in both data and binaryData, base64 that Go's decoder takes, 1 MiB
// in all, a typed Secret's keys), stringData merged over a Secret's data,
// then collected by name for the pod's env and volumes (config-objects.ts).
// Every problem is reported with the object it is in:
// `document 2 (ConfigMap "app") data[bad key]: …`.

import { Reporter, checkObject, isPlainObject } from './check-schema';
import type { ConfigObject, PodConfigObjects } from './config-objects';
import { decodeBase64 } from './base64';
import { configKey } from './names';
import { CONFIG_MAP_SCHEMA, SECRET_SCHEMA } from './schema';
import { checkSecretType } from './secret-types';
import type { ObjectMeta, Problem, StringMap, Warning } from './types';
import { checkObjectMeta } from './validate-meta';
import { checkName, got, required } from './validate-rules';

/** Kubernetes' MaxSecretSize, a ConfigMap's limit too: 1 MiB of values in all. */
const MAX_DATA_BYTES = 1024 * 1024;

/** An object of the manifest, named as load.ts names it ("document 2", "document 1 items[0]"). */
export interface ManifestObject {
  label: string;
  value: unknown;
}

export interface LoadedConfigObjects {
  problems: Problem[];
  warnings: Warning[];
  objects: PodConfigObjects;
}

interface ConfigMapFields {
  apiVersion?: string;
  metadata?: ObjectMeta;
  data?: StringMap;
  binaryData?: StringMap;
}

interface SecretFields {
  apiVersion?: string;
  metadata?: ObjectMeta;
  data?: StringMap;
  stringData?: StringMap;
  type?: string;
}

/**
 * Validate the ConfigMaps and Secrets given beside a pod of namespace
 * `podNamespace` and collect them by name. One the pod cannot see (another
 * namespace) and a second of a kind and name are problems too.
 */
export function loadConfigObjects(entries: readonly ManifestObject[], podNamespace: string): LoadedConfigObjects {
  const problems: Problem[] = [];
  const warnings: Warning[] = [];
  const configMaps = new Map<string, ConfigObject>();
  const secrets = new Map<string, ConfigObject>();
  const seen = new Map<string, string>();
  for (const { label, value } of entries) {
    if (!isPlainObject(value)) continue;
    const kind = value.kind === 'Secret' ? 'Secret' : 'ConfigMap';
    const name = isPlainObject(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : '';
    const where = `${label} (${kind}${name === '' ? '' : ` ${JSON.stringify(name)}`})`;
    const report = new Reporter();
    const object = kind === 'Secret' ? checkSecret(report, value) : checkConfigMap(report, value);
    if (object !== undefined && object.namespace !== podNamespace) {
      const isGiven = isPlainObject(value.metadata) && typeof value.metadata.namespace === 'string' && value.metadata.namespace !== '';
      const what = isGiven ? JSON.stringify(object.namespace) : `"${object.namespace}" (none is given: kubectl puts it there)`;
      report.error('metadata.namespace', `${what}, not the pod's ${JSON.stringify(podNamespace)}: a pod sees only the ConfigMaps and Secrets of its own namespace`);
    }
    const key = `${kind}/${object?.namespace}/${name}`;
    const first = seen.get(key);
    if (object !== undefined && name !== '' && first !== undefined) {
      report.error('', `a second ${kind} named ${JSON.stringify(name)} (the first is ${first}): a name is unique among the objects of a kind`);
    }
    if (first === undefined) seen.set(key, label);
    problems.push(...report.problems.map((p) => ({ ...p, path: `${where}${p.path === '' ? '' : ` ${p.path}`}` })));
    warnings.push(...report.warnings.map((w) => ({ ...w, path: `${where} ${w.path}` })));
    if (object !== undefined && report.problems.length === 0) (kind === 'Secret' ? secrets : configMaps).set(name, object);
  }
  return { problems, warnings, objects: { configMaps, secrets } };
}

/** The parts every object has: a v1 apiVersion and valid metadata. Returns the namespace ("default" where none). */
function checkCommon(report: Reporter, fields: { apiVersion?: string; metadata?: ObjectMeta }): string | undefined {
  if (fields.apiVersion !== 'v1' && required(report, 'apiVersion', fields.apiVersion)) {
    report.error('apiVersion', `must be "v1" ${got(fields.apiVersion)}`);
  }
  if (!required(report, 'metadata', fields.metadata)) return undefined;
  checkObjectMeta(report, fields.metadata);
  return fields.metadata.namespace || 'default';
}

/** Each key a valid config key; returns the values' bytes, base64-decoded where `isBase64`. */
function checkData(report: Reporter, field: string, map: StringMap | undefined, isBase64: boolean): Map<string, Buffer> {
  const data = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(map ?? {})) {
    const path = `${field}[${key}]`;
    checkName(report, path, key, configKey);
    if (!isBase64) {
      data.set(key, Buffer.from(value, 'utf8'));
      continue;
    }
    const decoded = decodeBase64(value);
    if ('error' in decoded) report.error(path, decoded.error);
    else data.set(key, decoded.bytes);
  }
  return data;
}

function totalBytes(data: ReadonlyMap<string, Buffer>): number {
  let total = 0;
  for (const value of data.values()) total += value.length;
  return total;
}

function checkConfigMap(report: Reporter, raw: Record<string, unknown>): ConfigObject | undefined {
  const fields = checkObject(raw, CONFIG_MAP_SCHEMA, '', report) as ConfigMapFields;
  const namespace = checkCommon(report, fields);
  const data = checkData(report, 'data', fields.data, false);
  const binary = checkData(report, 'binaryData', fields.binaryData, true);
  const total = totalBytes(data) + totalBytes(binary);
  for (const [key, value] of binary) {
    if (data.has(key)) report.error(`data[${key}]`, `duplicate of key present in binaryData ${got(key)}`);
    else data.set(key, value);
  }
  if (total > MAX_DATA_BYTES) report.error('', `must have at most ${MAX_DATA_BYTES} bytes (got ${total})`);
  if (namespace === undefined) return undefined;
  return { kind: 'ConfigMap', name: fields.metadata?.name ?? '', namespace, data, binaryKeys: new Set(binary.keys()) };
}

function checkSecret(report: Reporter, raw: Record<string, unknown>): ConfigObject | undefined {
  const fields = checkObject(raw, SECRET_SCHEMA, '', report) as SecretFields;
  const namespace = checkCommon(report, fields);
  const data = checkData(report, 'data', fields.data, true);
  // stringData is merged over data before the API server validates and stores it
  for (const [key, value] of checkData(report, 'stringData', fields.stringData, false)) data.set(key, value);
  const total = totalBytes(data);
  if (total > MAX_DATA_BYTES) report.error('data', `must have at most ${MAX_DATA_BYTES} bytes (got ${total})`);
  // SetDefaults_Secret
  const type = fields.type || 'Opaque';
  checkSecretType(report, type, data, fields.metadata?.annotations ?? {});
  if (namespace === undefined) return undefined;
  return { kind: 'Secret', name: fields.metadata?.name ?? '', namespace, data, type };
}
