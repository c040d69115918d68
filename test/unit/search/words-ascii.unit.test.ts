import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unicodeWords, words } from '../../../adapters/search/words.js';

// words() splits ASCII texts with a plain regular expression (issue 15: the search worker splits
// every message it indexes); it must give exactly the words of the Unicode classes, which both
// engines and every query rely on. Texts mostly of ASCII, with some letters, digits and marks of
// other scripts now and then (the Unicode way then answers for the whole text).
const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const wordy = fc.string({
  unit: fc.constantFrom(...'aZ9 _-.,\n\t\'"é\u0301日カひＡ٣ǅ'.split(''), ...'abcXYZ0129 '.split('')),
  maxLength: 60,
});
const long = fc.integer({ min: 250, max: 800 }).map((n) => `${'Ab1'.repeat(n)} x`);

describe('words: the ASCII way and the Unicode way agree', () => {
  it('on random ASCII texts, control characters included', () => {
    fc.assert(
      fc.property(ascii, (t) => {
        expect(words(t)).toEqual(unicodeWords(t));
      }),
      { numRuns: 2000 },
    );
  });
  it('on texts mixing ASCII with other scripts, and on runs longer than a word may be', () => {
    fc.assert(
      fc.property(fc.oneof(wordy, long), (t) => {
        expect(words(t)).toEqual(unicodeWords(t));
      }),
      { numRuns: 1000 },
    );
  });
  it('answers a few texts literally', () => {
    expect(words("Don't PANIC: e.g. 3.14 isn't_pi\nSubject")).toEqual([
      'don',
      't',
      'panic',
      'e',
      'g',
      '3',
      '14',
      'isn',
      't',
      'pi',
      'subject',
    ]);
    expect(words('a'.repeat(300))).toEqual(['a'.repeat(255), 'a'.repeat(45)]);
    expect(words('Café 日本')).toEqual(['café', '日', '本']);
  });
});
