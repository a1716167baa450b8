import t from 'tap';
import { decodeBase64 } from '../../../src/spec/base64';

const errorOf = (text: string): string | undefined => {
  const result = decodeBase64(text);
  return 'error' in result ? result.error : undefined;
};
const textOf = (text: string): string | undefined => {
  const result = decodeBase64(text);
  return 'bytes' in result ? result.bytes.toString('latin1') : undefined;
};

t.test('what Go\'s StdEncoding takes: padded base64, CR and LF anywhere', async (t) => {
  t.equal(textOf(''), '');
  t.equal(textOf('aGVsbG8='), 'hello');
  t.equal(textOf('QUJD\nREVG'), 'ABCDEF', 'a line break between quanta');
  t.equal(textOf('QU\r\nI=\r\n'), 'AB', 'inside a quantum and after it');
  t.equal(textOf('QQ=\n='), 'A', 'between the two padding characters');
  t.equal(textOf('QR=='), 'A', 'non-zero trailing bits (StdEncoding is not Strict)');
  t.equal(textOf('/+8='), '\xff\xef');
});

t.test('the offset Go\'s decoder names', async (t) => {
  t.equal(errorOf('aGVsbG8'), 'illegal base64 data at input byte 4', 'no padding: where the short quantum starts');
  t.equal(errorOf('Q'), 'illegal base64 data at input byte 0');
  t.equal(errorOf('a!bc'), 'illegal base64 data at input byte 1', 'a character outside the alphabet');
  t.equal(errorOf('aGVs bG8='), 'illegal base64 data at input byte 4', 'a space');
  t.equal(errorOf('aGVsbG8-'), 'illegal base64 data at input byte 7', 'the URL alphabet is not StdEncoding\'s');
  t.equal(errorOf('Q==='), 'illegal base64 data at input byte 1', 'padding too early');
  t.equal(errorOf('QQ='), 'illegal base64 data at input byte 3', 'one "=" of two: the end');
  t.equal(errorOf('QQ=x'), 'illegal base64 data at input byte 2', 'one "=" then another character: Go names the byte before it');
  t.equal(errorOf('QQ==QQ=='), 'illegal base64 data at input byte 4', 'anything after the padding');
  t.equal(errorOf('héllo'), 'illegal base64 data at input byte 1');
});
