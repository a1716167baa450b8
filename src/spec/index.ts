// podshim's one entry to the spec layer: manifest text in, a validated and
// defaulted Pod out (load.ts → validate.ts → defaults.ts) with the
// ConfigMaps and Secrets beside it (load-config-objects.ts), or a
// ManifestError listing every problem at once.

import type { PodConfigObjects } from './config-objects';
import { applyDefaults } from './defaults';
import { manifestsName, parseManifests, type ManifestText } from './load';
import { loadConfigObjects } from './load-config-objects';
import { ManifestError } from './manifest-error';
import type { DefaultedPod, Warning } from './types';
import { validatePod } from './validate';

export interface LoadPodOptions {
  /** Makes metadata.uid when the manifest has none (the API server gives a random UUID). */
  newUid: () => string;
}

export interface LoadedPod {
  pod: DefaultedPod;
  /** the ConfigMaps and Secrets given beside it */
  objects: PodConfigObjects;
  warnings: Warning[];
}

/**
 * Parse, validate and default the Pod in `text`, and validate the
 * ConfigMaps and Secrets beside it; `source` (a file name, or "-" for
 * stdin) names it in errors.
 * @throws ManifestError with every problem found, the objects' too.
 */
export function loadPod(text: string, source: string, options: LoadPodOptions): LoadedPod {
  return loadPodFrom([{ text, source }], options);
}

/** loadPod of several manifests given together (files, a directory's files): one Pod among them all. */
export function loadPodFrom(manifests: readonly ManifestText[], options: LoadPodOptions): LoadedPod {
  const { pod: raw, objects: rawObjects } = parseManifests(manifests);
  const { problems, warnings, pod } = validatePod(raw);
  // as the API server defaults it: an object without a namespace is in "default"
  const config = loadConfigObjects(rawObjects, pod?.metadata?.namespace || 'default');
  const allProblems = [...problems, ...config.problems];
  if (allProblems.length > 0 || pod === undefined) throw new ManifestError(manifestsName(manifests), allProblems);
  return { pod: applyDefaults(pod, { newUid: options.newUid }), objects: config.objects, warnings: [...warnings, ...config.warnings] };
}

export { ManifestError, formatProblem } from './manifest-error';
export { parseManifest, parseManifestObjects, parseManifests, type ManifestText } from './load';
export { validatePod, type ValidationResult } from './validate';
export { applyDefaults, defaultPullPolicy, PROBE_DEFAULTS } from './defaults';
export { parseQuantity, isQuantity, QuantityError, MAX_QUANTITY, type Quantity } from './quantity';
export { expandVars, expandWithMap, type VarLookup } from './expand';
export { podHostname, podFqdn } from './hostname';
export type * from './types';
export { NO_CONFIG_OBJECTS, type ConfigObject, type PodConfigObjects } from './config-objects';
