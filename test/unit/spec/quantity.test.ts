import t from 'tap';
import { MAX_QUANTITY, QuantityError, isQuantity, parseQuantity } from '../../../src/spec/quantity';

const milli = (s: string): bigint => parseQuantity(s).milliValue();
const bytes = (s: string): bigint => parseQuantity(s).value();

t.test('decimal SI suffixes', async (t) => {
  t.equal(milli('500m'), 500n);
  t.equal(milli('0.5'), 500n, '"0.5" is 500m, as kubelet reads CPU');
  t.equal(milli('1'), 1000n);
  t.equal(milli('2.5'), 2500n);
  t.equal(bytes('1k'), 1000n, '1000 = 1k');
  t.equal(bytes('1M'), 1_000_000n);
  t.equal(bytes('1G'), 1_000_000_000n);
  t.equal(bytes('1T'), 10n ** 12n);
  t.equal(bytes('1P'), 10n ** 15n);
  t.equal(bytes('1E'), 10n ** 18n);
  t.equal(milli('100u'), 1n, 'micro rounds up to one milli');
  t.equal(parseQuantity('5n').nanos, 5n);
  t.equal(parseQuantity('1k').format, 'DecimalSI');
});

t.test('binary SI suffixes', async (t) => {
  t.equal(bytes('1Ki'), 1024n, '1024 = 1Ki');
  t.equal(bytes('1Mi'), 1024n ** 2n);
  t.equal(bytes('1Gi'), 1024n ** 3n);
  t.equal(bytes('1Ti'), 1024n ** 4n);
  t.equal(bytes('1Pi'), 1024n ** 5n);
  t.equal(bytes('1Ei'), 1024n ** 6n);
  t.equal(bytes('1.5Gi'), 1536n * 1024n ** 2n, '1.5Gi is 1536Mi');
  t.equal(bytes('0.5Ki'), 512n);
  t.equal(parseQuantity('128Mi').format, 'BinarySI');
});

t.test('decimal exponents', async (t) => {
  t.equal(bytes('1e3'), 1000n);
  t.equal(bytes('1E3'), 1000n, 'capital E followed by digits is an exponent, not exa');
  t.equal(bytes('12e+2'), 1200n);
  t.equal(milli('1e-3'), 1n);
  t.equal(bytes('1.5e1'), 15n);
  t.equal(parseQuantity('1e3').format, 'DecimalExponent');
});

t.test('number forms and signs', async (t) => {
  t.equal(milli('.5'), 500n, '.<digits>');
  t.equal(milli('5.'), 5000n, '<digits>.');
  t.equal(milli('+1'), 1000n);
  t.equal(milli('-1'), -1000n);
  t.equal(milli('0'), 0n);
  t.equal(milli('000'), 0n);
  t.equal(milli('0.0m'), 0n);
});

t.test('rounding up', async (t) => {
  t.equal(milli('0.1m'), 1n, '0.1m rounds up to 1m');
  t.equal(milli('1.0001'), 1001n);
  t.equal(bytes('0.5'), 1n, 'half a byte is a byte');
  t.equal(bytes('1.1'), 2n);
  t.equal(bytes('100m'), 1n);
  t.equal(milli('-0.1m'), -1n, 'rounds away from zero');
  t.equal(parseQuantity('1e-20').nanos, 1n, 'below a nano-unit rounds up to one');
  t.equal(bytes('1e-20'), 1n);
});

t.test('the 2^63-1 limit', async (t) => {
  t.equal(bytes('9223372036854775807'), MAX_QUANTITY);
  for (const text of ['9223372036854775808', '8Ei', '10E', '1e19', '9223372036854775807.001', '-8Ei', '1e99']) {
    t.throws(() => parseQuantity(text), { name: 'QuantityError', message: /at most 2\^63-1/ }, text);
  }
  t.equal(bytes('7.99Ei'), 9_211_842_821_808_707_339n);
});

t.test('comparison', async (t) => {
  t.equal(parseQuantity('1').cmp(parseQuantity('1000m')), 0);
  t.equal(parseQuantity('1Ki').cmp(parseQuantity('1k')), 1);
  t.equal(parseQuantity('500m').cmp(parseQuantity('1')), -1);
});

t.test('errors say what is wrong', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty string/],
    ['abc', /must start with a number/],
    ['.', /must start with a number/],
    ['-', /must start with a number/],
    [' 1', /must start with a number/],
    ['5Gb', /unknown suffix "Gb"/],
    ['1K', /unknown suffix "K"/],
    ['1ki', /unknown suffix "ki"/],
    ['1 ', /unknown suffix " "/],
    ['1mi', /unknown suffix "mi"/],
    ['1e', /exponent "e" has no digits/],
    ['1e+', /exponent "e\+" has no digits/],
    ['1e1.5', /must be an integer/],
    ['1.2.3', /more than one decimal point/],
    ['1e99999999999999999999', /out of range/],
  ];
  for (const [text, message] of cases) {
    t.throws(() => parseQuantity(text), { name: 'QuantityError', message }, JSON.stringify(text));
  }
  const err = t.throws(() => parseQuantity('5Gb')) as QuantityError;
  t.equal(err.message.startsWith('invalid quantity "5Gb": '), true);
  t.equal(err.text, '5Gb');
  t.equal(isQuantity('5Gb'), false);
  t.equal(isQuantity('5Gi'), true);
});
