import t from 'tap';
import { expandVars, expandWithMap } from '../../../src/spec/expand';

const vars = new Map([['VAR_A', 'A'], ['VAR_B', 'B'], ['EMPTY', '']]);
const expand = (s: string): string => expandWithMap(s, vars);

t.test('as Kubernetes expansion_test.go', async (t) => {
  const cases: [string, string][] = [
    ['$(VAR_A)', 'A'],
    ['___$(VAR_B)___', '___B___'],
    ['$(VAR_A)-$(VAR_B)', 'A-B'],
    ['$(VAR_A)$(VAR_B)', 'AB'],
    ['$(EMPTY)', ''],
    ['$(UNKNOWN)', '$(UNKNOWN)', ],
    ['$$(VAR_A)', '$(VAR_A)'],
    ['$$$(VAR_A)', '$A'],
    ['$$$$(VAR_A)', '$$(VAR_A)'],
    ['$$', '$'],
    ['$$x', '$x'],
    ['$x', '$x'],
    ['$', '$'],
    ['x$', 'x$'],
    ['$(VAR_A', '$(VAR_A'],
    ['$()', '$()'],
    ['$(VAR_A)$', 'A$'],
    ['no refs', 'no refs'],
    ['', ''],
    ['$(VAR_A) $(VAR_B) $(VAR_C)', 'A B $(VAR_C)'],
    ['é$(VAR_A)😀', 'éA😀'],
    ['$😀', '$😀'],
  ];
  for (const [input, want] of cases) t.equal(expand(input), want, JSON.stringify(input));
});

t.test('the lookup is asked for each name', async (t) => {
  const asked: string[] = [];
  t.equal(expandVars('$(X)$(Y)', (n) => { asked.push(n); return n === 'X' ? '1' : undefined; }), '1$(Y)');
  t.same(asked, ['X', 'Y']);
});

t.test('env entries reference only earlier ones', async (t) => {
  const env = [{ name: 'A', value: '$(B)x' }, { name: 'B', value: 'b' }, { name: 'C', value: '$(A)$(B)' }];
  const seen = new Map<string, string>();
  for (const e of env) seen.set(e.name, expandWithMap(e.value, seen));
  t.same([...seen.values()], ['$(B)x', 'b', '$(B)xb']);
});
