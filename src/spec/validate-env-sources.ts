// The env fields that name the ConfigMaps and Secrets beside the pod, as
// the API server validates them: configMapKeyRef and secretKeyRef
// (validateConfigMapKeySelector, validateSecretKeySelector) and envFrom
// (ValidateEnvFrom). Whether the objects exist is kubelet's question, asked
// as the container starts (src/sandbox/config-env.ts).

import type { Reporter } from './check-schema';
import { configKey, dns1123Subdomain, envVarName } from './names';
import type { EnvFromSource, KeySelector } from './types';
import { checkName, required } from './validate-rules';

/** validateConfigMapKeySelector / validateSecretKeySelector: the object's name and one valid key. */
export function checkKeySelector(report: Reporter, path: string, selector: KeySelector): void {
  if (required(report, `${path}.name`, selector.name)) checkName(report, `${path}.name`, selector.name, dns1123Subdomain);
  if (required(report, `${path}.key`, selector.key)) checkName(report, `${path}.key`, selector.key, configKey);
}

/**
 * ValidateEnvFrom: one of configMapRef and secretRef, named; a prefix that
 * is a valid variable name (relaxed, as names.ts's envVarName), so every
 * prefixed key is one too.
 */
export function checkEnvFrom(report: Reporter, path: string, source: EnvFromSource): void {
  if (source.prefix !== undefined && source.prefix !== '') checkName(report, `${path}.prefix`, source.prefix, envVarName);
  const refs = (['configMapRef', 'secretRef'] as const).filter((ref) => source[ref] !== undefined);
  if (refs.length === 0) report.error(path, 'must specify one of: configMapRef or secretRef');
  if (refs.length > 1) report.error(path, `may not have more than one field specified at a time (got ${refs.join(', ')})`);
  for (const ref of refs) {
    const name = source[ref]?.name;
    if (required(report, `${path}.${ref}.name`, name)) checkName(report, `${path}.${ref}.name`, name, objectNamePrefix);
  }
}

/**
 * An envFrom's object name, checked as a name prefix (NameIsDNSSubdomain
 * with prefix = true): a trailing '-' passes, through maskTrailingDash's
 * quirk of dropping the last two characters and adding an 'a'.
 */
function objectNamePrefix(name: string): string[] {
  return dns1123Subdomain(name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name);
}
