// One tokenizer for both engines. SQLite's FTS5 and Elasticsearch's standard analyzer
// (UAX #29) split raw text differently ("e.g.", "3.14", "don't", CJK runs, diacritics), so
// the broker splits the text itself and hands each engine a lower-case, space-separated word
// list that each tokenizes back into exactly these words (FTS5's `ascii` tokenizer splits only
// on ASCII punctuation and spaces; UAX #29 keeps runs of letters and digits whole, except
// the script boundaries mirrored below). A query is split the same way and matches messages
// holding every one of its words.

const RUN = /[\p{L}\p{Nd}\p{Nl}\p{M}]+/gu;
// Han and Hiragana are one word per character, as UAX #29 emits them; Katakana runs are
// words of their own, apart from letters of other scripts next to them.
const PIECE =
  /[\p{Script=Han}\p{Script=Hiragana}]|\p{Script_Extensions=Katakana}+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script_Extensions=Katakana}]+/gu;
const MARKS_ONLY = /^\p{M}+$/u;
// Elasticsearch cuts tokens at 255 characters; longer runs are cut here the same way.
const MAX_WORD = 255;

// ASCII text holds no letters but a-z/A-Z, no digits but 0-9, no marks and no
// Han/Hiragana/Katakana, and NFC leaves them as they are: their words are the runs of [a-z0-9] of
// the lower-cased text, cut at MAX_WORD, which a plain regular expression finds several times
// faster than the Unicode property classes (the search worker splits every message it indexes,
// issue 15). The unit test compares both ways on random texts.
const ASCII_ONLY = /^\p{ASCII}*$/u;
const ASCII_RUN = /[a-z0-9]+/g;

/** words() by the Unicode classes, whatever the text (the reference the ASCII way is held to). */
export const unicodeWords = (text: string): string[] => {
  const out: string[] = [];
  for (const run of text.normalize('NFC').toLowerCase().matchAll(RUN)) {
    for (const piece of run[0].match(PIECE) ?? []) {
      if (MARKS_ONLY.test(piece)) continue;
      for (let i = 0; i < piece.length; i += MAX_WORD) out.push(piece.slice(i, i + MAX_WORD));
    }
  }
  return out;
};

export const words = (text: string): string[] => {
  if (!ASCII_ONLY.test(text)) return unicodeWords(text);
  const out: string[] = [];
  for (const run of text.toLowerCase().match(ASCII_RUN) ?? []) {
    if (run.length <= MAX_WORD) out.push(run);
    else for (let i = 0; i < run.length; i += MAX_WORD) out.push(run.slice(i, i + MAX_WORD));
  }
  return out;
};

/** The text each engine indexes. */
export const indexedWords = (text: string): string => words(text).join(' ');
