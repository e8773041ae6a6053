/**
 * The "language" of the generated test models: each word is a pure tone. The models' first layer
 * is a hand-set linear map from the 80 log-mel bins sherpa-onnx computes to one score per token:
 * the mean log energy of the bins around the word's tone minus the mean of the whole telephone
 * band. Line noise or silence scores about 0, so blank (a constant) wins; a word's tone scores far
 * above it. Known audio therefore gives known tokens, through sherpa-onnx's own feature extraction.
 */
export interface ToneWord {
  word: string;
  toneHz: number;
  /** Subtracted from the word's score; a word that shares a tone with a likelier one loses to it. */
  handicap?: number;
}

export const TONE_WORDS: readonly ToneWord[] = [
  { word: 'hello', toneHz: 600 },
  { word: 'world', toneHz: 1400 },
  { word: 'account', toneHz: 2200 },
  { word: 'plan', toneHz: 3000 },
  // Same tone as "plan" but a little less likely: only a hotword boost makes it win.
  { word: 'planet', toneHz: 3000, handicap: 0.4 },
];

/** Score of blank: a word's tone must stand this far (in mean log-mel) above the band to be heard. */
export const BLANK_SCORE = 6;
/** Bins around a tone that count as "the tone": centres within this fraction of its frequency. */
const BAND_FRACTION = 0.12;
const TELEPHONE_BAND_HZ = [150, 3800] as const;
/**
 * Scales every score so that, after the temperature sherpa-onnx applies in beam search (2),
 * silence still puts words many nats below blank.
 */
const LOGIT_SCALE = 3;

export type MelScale = 'kaldi' | 'slaney';

/** Centre frequencies of sherpa-onnx's mel bins: Kaldi fbank (20–7600 Hz) or librosa's (0–8000 Hz). */
export function melCentresHz(scale: MelScale, bins = 80): number[] {
  if (scale === 'kaldi') {
    const mel = (f: number) => 1127 * Math.log(1 + f / 700);
    const hz = (m: number) => 700 * (Math.exp(m / 1127) - 1);
    const low = mel(20);
    const high = mel(8000 - 400);
    const delta = (high - low) / (bins + 1);
    return Array.from({ length: bins }, (_, i) => hz(low + (i + 1) * delta));
  }
  const logStep = Math.log(6.4) / 27;
  const mel = (f: number) => (f < 1000 ? (3 * f) / 200 : 15 + Math.log(f / 1000) / logStep);
  const hz = (m: number) => (m < 15 ? (200 * m) / 3 : 1000 * Math.exp(logStep * (m - 15)));
  const low = mel(0);
  const high = mel(8000);
  const delta = (high - low) / (bins + 1);
  return Array.from({ length: bins }, (_, i) => hz(low + (i + 1) * delta));
}

/**
 * The linear layer: weights [bins × vocab] (row-major) and bias [vocab], for a vocabulary given
 * as token strings in id order. Blank gets BLANK_SCORE; tokens that are not tone words get -100.
 */
export function toneClassifier(
  tokens: readonly string[],
  blank: string,
  scale: MelScale,
  bins = 80,
): { weights: Float32Array; bias: Float32Array } {
  const centres = melCentresHz(scale, bins);
  const vocab = tokens.length;
  const weights = new Float32Array(bins * vocab);
  const bias = new Float32Array(vocab).fill(-100);
  const ref = centres
    .map((hz, i) => (hz >= TELEPHONE_BAND_HZ[0] && hz <= TELEPHONE_BAND_HZ[1] ? i : -1))
    .filter((i) => i >= 0);
  tokens.forEach((token, id) => {
    if (token === blank) {
      bias[id] = BLANK_SCORE * LOGIT_SCALE;
      return;
    }
    const word = TONE_WORDS.find((w) => `▁${w.word}` === token);
    if (!word) return;
    const band = centres
      .map((hz, i) => (Math.abs(hz - word.toneHz) <= word.toneHz * BAND_FRACTION ? i : -1))
      .filter((i) => i >= 0);
    if (band.length === 0) throw new Error(`no mel bin near ${word.toneHz} Hz`);
    for (const i of band)
      weights[i * vocab + id] = (weights[i * vocab + id] ?? 0) + LOGIT_SCALE / band.length;
    for (const i of ref)
      weights[i * vocab + id] = (weights[i * vocab + id] ?? 0) - LOGIT_SCALE / ref.length;
    bias[id] = -(word.handicap ?? 0) * LOGIT_SCALE;
  });
  return { weights, bias };
}

export interface ToneUtterance {
  /** Words spoken one after the other, each `wordMs` long with `gapMs` of quiet between. */
  words: string[];
  startMs: number;
}

export interface ToneScript {
  utterances: ToneUtterance[];
  totalMs: number;
  wordMs?: number;
  gapMs?: number;
}

export const DEFAULT_WORD_MS = 400;
export const DEFAULT_GAP_MS = 150;

/** When an utterance's speech ends, in ms from the start of the stream. */
export function utteranceEndMs(u: ToneUtterance, wordMs = DEFAULT_WORD_MS, gapMs = DEFAULT_GAP_MS) {
  return u.startMs + u.words.length * wordMs + (u.words.length - 1) * gapMs;
}

/**
 * Renders a script as mono PCM16: each word its tone at about -14 dBFS with 10 ms ramps, over
 * low line noise (about -66 dBFS) so the audio is never digital silence. Deterministic.
 */
export function renderToneScript(script: ToneScript, sampleRateHz: number): Int16Array {
  const wordMs = script.wordMs ?? DEFAULT_WORD_MS;
  const gapMs = script.gapMs ?? DEFAULT_GAP_MS;
  const out = new Int16Array(Math.round((script.totalMs * sampleRateHz) / 1000));
  let seed = 12345;
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = Math.round(((seed / 0x7fffffff) * 2 - 1) * 16);
  }
  const rampSamples = Math.round(sampleRateHz / 100);
  for (const u of script.utterances) {
    u.words.forEach((word, index) => {
      const tone = TONE_WORDS.find((w) => w.word === word);
      if (!tone) throw new Error(`not a tone word: ${word}`);
      const start = Math.round(((u.startMs + index * (wordMs + gapMs)) * sampleRateHz) / 1000);
      const length = Math.round((wordMs * sampleRateHz) / 1000);
      for (let n = 0; n < length && start + n < out.length; n++) {
        const ramp = Math.min(1, n / rampSamples, (length - 1 - n) / rampSamples);
        const value = 6500 * ramp * Math.sin((2 * Math.PI * tone.toneHz * n) / sampleRateHz);
        out[start + n] = Math.max(
          -32768,
          Math.min(32767, Math.round((out[start + n] ?? 0) + value)),
        );
      }
    });
  }
  return out;
}
