/**
 * Word error rate: word-level Levenshtein distance over the reference length, after lower-casing,
 * stripping punctuation and spelling out numbers ("24" → "twenty four"), so engines that write
 * digits are not penalised for it.
 */
export interface WerResult {
  wer: number;
  errors: number;
  referenceWords: number;
}

const ones = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const tens = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

export function numberToWords(n: number): string[] {
  if (n < 20) return [ones[n] ?? ''];
  if (n < 100) return [tens[Math.floor(n / 10)] ?? '', ...(n % 10 ? [ones[n % 10] ?? ''] : [])];
  if (n < 1000)
    return [ones[Math.floor(n / 100)] ?? '', 'hundred', ...(n % 100 ? numberToWords(n % 100) : [])];
  if (n < 1_000_000) {
    return [
      ...numberToWords(Math.floor(n / 1000)),
      'thousand',
      ...(n % 1000 ? numberToWords(n % 1000) : []),
    ];
  }
  // Longer digit strings are account or phone numbers, read digit by digit.
  return String(n)
    .split('')
    .map((d) => ones[Number(d)] ?? '');
}

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .replace(/'/g, '')
    .split(/\s+/)
    .filter((w) => w !== '')
    .flatMap((w) => (/^\d+$/.test(w) ? numberToWords(Number(w)) : [w]));
}

export function wordErrorRate(reference: string, hypothesis: string): WerResult {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  let previous = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1));
    }
    previous = current;
  }
  const errors = previous[hyp.length] ?? 0;
  return {
    wer: ref.length === 0 ? (hyp.length === 0 ? 0 : 1) : errors / ref.length,
    errors,
    referenceWords: ref.length,
  };
}
