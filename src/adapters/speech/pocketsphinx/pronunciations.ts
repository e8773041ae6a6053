/**
 * Pronunciations for vocabulary words the CMU dictionary lacks. A product name is usually made
 * of ordinary words ("fibermax" = fiber + max), so the word is first split into the fewest
 * dictionary words (pieces of 2+ letters); letters no split covers get a crude letter-to-sound
 * rule. Good enough to make a name recognisable, not a real grapheme-to-phoneme model.
 */
export type Dictionary = ReadonlyMap<string, string>;

/** cmudict-en-us.dict: `word PH ON ES`, alternates as `word(2)`; the first one is kept. */
export function parseDictionary(text: string): Map<string, string> {
  const dict = new Map<string, string>();
  for (const line of text.split('\n')) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const word = line.slice(0, space);
    if (word.endsWith(')')) continue;
    if (!dict.has(word)) dict.set(word, line.slice(space + 1).trim());
  }
  return dict;
}

/** The vocabulary's words, lower case, letters and apostrophes only. */
export function vocabularyWords(phrases: readonly string[]): string[] {
  const words = phrases
    .flatMap((phrase) => phrase.toLowerCase().split(/\s+/))
    .map((word) => word.replace(/[^a-z']/g, ''))
    .filter((word) => word !== '');
  return [...new Set(words)];
}

export function pronounce(
  word: string,
  dict: Dictionary,
): { phones: string; how: 'dictionary' | 'compound' | 'letters' } {
  const known = dict.get(word);
  if (known) return { phones: known, how: 'dictionary' };
  // best[i]: fewest pieces covering word[0..i), letters left to rules counted as one piece each.
  const best: { cost: number; parts: string[] }[] = [{ cost: 0, parts: [] }];
  for (let end = 1; end <= word.length; end++) {
    let choice = { cost: Infinity, parts: [] as string[] };
    for (let start = 0; start < end; start++) {
      const previous = best[start];
      if (!previous) continue;
      const piece = word.slice(start, end);
      const phones = piece.length >= 2 ? dict.get(piece) : undefined;
      const cost = previous.cost + (phones ? 1 : 3 * piece.length);
      if (cost < choice.cost)
        choice = { cost, parts: [...previous.parts, phones ?? letterPhones(piece)] };
    }
    best[end] = choice;
  }
  const result = best[word.length] ?? { cost: Infinity, parts: [letterPhones(word)] };
  const usedDictionary = result.cost < 3 * word.length;
  return { phones: result.parts.join(' '), how: usedDictionary ? 'compound' : 'letters' };
}

const digraphs: Record<string, string> = {
  ch: 'CH',
  sh: 'SH',
  th: 'TH',
  ph: 'F',
  ng: 'NG',
  ck: 'K',
  ee: 'IY',
  oo: 'UW',
  ou: 'AW',
  ai: 'EY',
  ay: 'EY',
};
const letters: Record<string, string> = {
  a: 'AE',
  b: 'B',
  c: 'K',
  d: 'D',
  e: 'EH',
  f: 'F',
  g: 'G',
  h: 'HH',
  i: 'IH',
  j: 'JH',
  k: 'K',
  l: 'L',
  m: 'M',
  n: 'N',
  o: 'AA',
  p: 'P',
  q: 'K',
  r: 'R',
  s: 'S',
  t: 'T',
  u: 'AH',
  v: 'V',
  w: 'W',
  x: 'K S',
  y: 'IY',
  z: 'Z',
};

function letterPhones(text: string): string {
  const phones: string[] = [];
  for (let i = 0; i < text.length;) {
    const pair = digraphs[text.slice(i, i + 2)];
    if (pair) {
      phones.push(pair);
      i += 2;
      continue;
    }
    const single = letters[text[i] ?? ''];
    if (single) phones.push(single);
    i += 1;
  }
  return phones.join(' ');
}
