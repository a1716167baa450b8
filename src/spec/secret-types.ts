// ValidateSecret's rules by Secret type: the keys a typed Secret must hold
// (kubernetes.io/tls needs tls.crt and tls.key, …), checked on its data
// after stringData is merged, as the API server checks it. Opaque, "" and
// types it does not know need nothing.

import type { Reporter } from './check-schema';
import type { StringMap } from './types';

interface TypeRule {
  keys: readonly string[];
  /** each key present; either one (basic-auth: username or password, maybe empty); the one key not empty (ssh-auth) */
  need: 'each' | 'either' | 'nonEmpty';
  /** the value must be well-formed JSON, as json.Unmarshal into a map takes it (an object, or null) */
  isJson?: boolean;
}

const TYPE_RULES: Readonly<Record<string, TypeRule>> = {
  'kubernetes.io/dockercfg': { keys: ['.dockercfg'], need: 'each', isJson: true },
  'kubernetes.io/dockerconfigjson': { keys: ['.dockerconfigjson'], need: 'each', isJson: true },
  'kubernetes.io/basic-auth': { keys: ['username', 'password'], need: 'either' },
  'kubernetes.io/ssh-auth': { keys: ['ssh-privatekey'], need: 'nonEmpty' },
  'kubernetes.io/tls': { keys: ['tls.crt', 'tls.key'], need: 'each' },
};

const SERVICE_ACCOUNT_TOKEN = 'kubernetes.io/service-account-token';
const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';

/** Report what a Secret of `type` lacks in `data` (merged, decoded) or, for a token, in its annotations. */
export function checkSecretType(report: Reporter, type: string, data: ReadonlyMap<string, Buffer>, annotations: StringMap): void {
  if (type === SERVICE_ACCOUNT_TOKEN) {
    // the token controller fills in the rest; the name of the account is the one thing required
    if (!annotations[SERVICE_ACCOUNT_NAME_KEY]) report.error(`metadata.annotations[${SERVICE_ACCOUNT_NAME_KEY}]`, 'required value');
    return;
  }
  const rule = Object.hasOwn(TYPE_RULES, type) ? TYPE_RULES[type] : undefined;
  if (rule === undefined) return;
  const present = rule.keys.filter((key) => rule.need === 'nonEmpty' ? (data.get(key)?.length ?? 0) > 0 : data.has(key));
  const isMissing = rule.need === 'either' ? present.length === 0 : present.length < rule.keys.length;
  if (isMissing) {
    for (const key of rule.keys) if (!present.includes(key) || rule.need === 'either') report.error(`data[${key}]`, `required value: a Secret of type ${JSON.stringify(type)} needs it`);
    return;
  }
  if (rule.isJson === true) {
    for (const key of rule.keys) {
      const found = notAJsonObject(data.get(key)!);
      // as the API server: the value itself is never shown
      if (found !== undefined) report.error(`data[${key}]`, `must be a JSON object (got ${found}; the contents are not shown)`);
    }
  }
}

/** What `bytes` are where Go's json.Unmarshal into a map would refuse them (undefined where it takes them), without quoting them. */
function notAJsonObject(bytes: Buffer): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'text that is not well-formed JSON';
  }
  if (value === null || (typeof value === 'object' && !Array.isArray(value))) return undefined;
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
