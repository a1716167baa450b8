// ValidateObjectMeta's rules for every object a manifest holds (the Pod, and
// the ConfigMaps and Secrets beside it): a DNS-1123 subdomain name, a
// DNS-1123 label namespace, qualified label keys with label values, and
// annotations of at most 256 KiB in all.

import type { Reporter } from './check-schema';
import { dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './names';
import type { ObjectMeta } from './types';
import { checkName } from './validate-rules';

/** Kubernetes' TotalAnnotationSizeLimitB. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Check `metadata` (at the path "metadata"). */
export function checkObjectMeta(report: Reporter, meta: ObjectMeta): void {
  if (meta.name === undefined || meta.name === '') {
    const hint = report.hasWarning('metadata.generateName') ? ' (generateName is not implemented by podshim)' : '';
    report.error('metadata.name', `required value${hint}`);
  } else {
    checkName(report, 'metadata.name', meta.name, dns1123Subdomain);
  }
  if (meta.namespace !== undefined && meta.namespace !== '') {
    checkName(report, 'metadata.namespace', meta.namespace, dns1123Label);
  }
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    checkName(report, 'metadata.labels', key, qualifiedName);
    checkName(report, `metadata.labels[${key}]`, value, labelValue);
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    // ValidateAnnotations checks the key lowercased
    checkName(report, 'metadata.annotations', key.toLowerCase(), qualifiedName);
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (annotationBytes > ANNOTATIONS_MAX_BYTES) {
    report.error('metadata.annotations', `must have at most ${ANNOTATIONS_MAX_BYTES} bytes (got ${annotationBytes})`);
  }
}
