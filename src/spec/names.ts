// Name and value checks from k8s.io/apimachinery/pkg/util/validation, each
// returning the list of what is wrong (empty when valid), as Kubernetes'
// IsDNS1123Label and friends do. Messages follow Kubernetes' wording.

const DNS1123_LABEL_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const IANA_SVC_NAME_MAX = 15;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;

const DNS1123_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const HTTP_HEADER_NAME_RE = /^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/;

const maxLength = (max: number): string => `must be no more than ${max} characters`;

export function dns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_LABEL_MAX) errors.push(maxLength(DNS1123_LABEL_MAX));
  if (!DNS1123_LABEL_RE.test(value)) {
    errors.push(
      "must be a lowercase RFC 1123 label: lower case alphanumeric characters or '-', starting and ending with an alphanumeric character (e.g. 'my-name' or '123-abc')",
    );
  }
  return errors;
}

export function dns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errors.push(maxLength(DNS1123_SUBDOMAIN_MAX));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) {
    errors.push(
      "must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character (e.g. 'example.com')",
    );
  }
  return errors;
}

/** A named port: IANA_SVC_NAME (RFC 6335), as Kubernetes' IsValidPortName. */
export function portName(value: string): string[] {
  const errors: string[] = [];
  if (value.length > IANA_SVC_NAME_MAX) errors.push(maxLength(IANA_SVC_NAME_MAX));
  if (!/^[-a-z0-9]+$/.test(value)) {
    errors.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.startsWith('-') || value.endsWith('-')) errors.push('must not begin or end with a hyphen');
  return errors;
}

/**
 * Kubernetes 1.32+ (RelaxedEnvironmentVariableValidation, on by default):
 * any printable ASCII character but '='.
 */
export function envVarName(value: string): string[] {
  if (/^[\x20-\x3c\x3e-\x7e]+$/.test(value)) return [];
  return ["must consist only of printable ASCII characters other than '='"];
}

/** A ConfigMap or Secret key (IsConfigMapKey): what can be a file name in a volume, so no `.`, `..` or `..` prefix. */
export function configKey(value: string): string[] {
  const errors: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errors.push(maxLength(DNS1123_SUBDOMAIN_MAX));
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) {
    errors.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (value === '.' || value === '..') errors.push(`must not be '${value}'`);
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** A label or annotation key: an optional DNS subdomain prefix and '/', then a name. */
export function qualifiedName(value: string): string[] {
  const parts = value.split('/');
  if (parts.length > 2) {
    return ["must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
  }
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const errors: string[] = [];
  if (prefix !== undefined) {
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX) errors.push(`name part ${maxLength(QUALIFIED_NAME_MAX)}`);
  if (name !== '' && !QUALIFIED_NAME_RE.test(name)) {
    errors.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export function labelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errors.push(maxLength(LABEL_VALUE_MAX));
  if (value !== '' && !QUALIFIED_NAME_RE.test(value)) {
    errors.push(
      "must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export function httpHeaderName(value: string): string[] {
  return HTTP_HEADER_NAME_RE.test(value) ? [] : ['must be a valid HTTP header name (RFC 7230 token)'];
}

/** Whether `path` has a `..` element (Kubernetes' validatePathNoBacksteps). */
export function hasBackstep(path: string): boolean {
  return path.split('/').includes('..');
}
