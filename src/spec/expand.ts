// Kubernetes' $(VAR) expansion for env values, command and args
// (third_party/forked/golang/expansion/expand.go), reproduced byte for byte:
//  - `$(NAME)` becomes NAME's value when `lookup` knows it,
//    and stays `$(NAME)` when it does not;
//  - `$$` becomes `$`, so `$$(NAME)` is the literal `$(NAME)`;
//  - a `$` before any other character, an unclosed `$(`, or a final `$`
//    is kept as written.
// Env values may reference only env entries defined earlier in the list: the
// caller passes a `lookup` over the entries built so far, as kubelet does.

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

export type VarLookup = (name: string) => string | undefined;

export function expandVars(text: string, lookup: VarLookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < text.length; cursor++) {
    if (text[cursor] !== OPERATOR || cursor + 1 >= text.length) continue;
    out += text.slice(checkpoint, cursor);
    const next = text[cursor + 1];
    if (next === OPERATOR) {
      out += OPERATOR; // escaped operator
      cursor += 1;
    } else if (next === OPENER) {
      const close = text.indexOf(CLOSER, cursor + 2);
      if (close === -1) {
        out += OPERATOR + OPENER; // incomplete reference: keep it
        cursor += 1;
      } else {
        const name = text.slice(cursor + 2, close);
        out += lookup(name) ?? `${OPERATOR}${OPENER}${name}${CLOSER}`;
        cursor = close;
      }
    } else {
      out += OPERATOR + next; // not a reference
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + text.slice(checkpoint);
}

/** Expand `$(VAR)` references in `text` against a map of names to values. */
export function expandWithMap(text: string, vars: ReadonlyMap<string, string>): string {
  return expandVars(text, (name) => vars.get(name));
}
