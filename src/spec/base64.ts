// Base64 as the API server decodes a Secret's `data` and a ConfigMap's
// `binaryData` ([]byte fields of the JSON it is sent): Go's
// base64.StdEncoding, which requires the `=` padding, skips CR and LF
// wherever they are, and refuses anything else with "illegal base64 data
// at input byte N". Node's own decoder takes almost anything, so the
// checking is done here and Buffer only decodes what passed it.

const ALPHABET = /[A-Za-z0-9+/]/;

/** A `[]byte` field's value as the API server decodes it, or Go's error. */
export type Base64Result = { bytes: Buffer } | { error: string };

export function decodeBase64(text: string): Base64Result {
  const at = firstError(text);
  if (at !== undefined) return { error: `illegal base64 data at input byte ${at}` };
  return { bytes: Buffer.from(text.replace(/[\r\n]/g, ''), 'base64') };
}

const isNewline = (c: string | undefined): boolean => c === '\n' || c === '\r';

/**
 * The input offset Go's decoder reports, quantum by quantum (decodeQuantum's
 * rules): a character outside the alphabet, `=` too early, too little
 * padding, or anything but newlines after it; undefined when it decodes.
 */
function firstError(src: string): number | undefined {
  let si = 0;
  while (si < src.length) {
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        // the input ended inside a quantum: padding was required
        if (j === 0) return undefined;
        return si - j;
      }
      const c = src[si++];
      if (ALPHABET.test(c)) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== '=' || j < 2) return si - 1;
      if (j === 2) {
        // "==" is needed: the second `=` may follow newlines
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return src.length;
        if (src[si] !== '=') return si - 1;
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      return si < src.length ? si : undefined;
    }
  }
  return undefined;
}
