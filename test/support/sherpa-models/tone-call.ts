import type { ContractStimulus } from '../../contract/speech-engine-contract.js';
import type { Channel } from '../../../src/domain/call.js';
import { renderToneScript, type ToneUtterance, utteranceEndMs } from './tone-words.js';

/** A two-party "call" in tone words, for the contract suite on the generated models. */
const SCRIPT: Record<Channel, ToneUtterance[]> = {
  CALLER: [
    { words: ['hello', 'world'], startMs: 500 },
    { words: ['account'], startMs: 3500 },
  ],
  AGENT: [
    { words: ['account', 'hello'], startMs: 1000 },
    { words: ['world'], startMs: 4500 },
  ],
};
const TOTAL_MS = 9000;

export function toneCallStimulus(): ContractStimulus {
  const cache = new Map<string, Int16Array>();
  return {
    pcm(channel, sampleRateHz) {
      const key = `${channel}/${sampleRateHz}`;
      let pcm = cache.get(key);
      if (!pcm) {
        pcm = renderToneScript({ utterances: SCRIPT[channel], totalMs: TOTAL_MS }, sampleRateHz);
        cache.set(key, pcm);
      }
      return pcm;
    },
    utterances: (['CALLER', 'AGENT'] as const).flatMap((channel) =>
      SCRIPT[channel].map((u, i) => ({
        id: `${channel}-${i}`,
        channel,
        startMs: u.startMs,
        endMs: utteranceEndMs(u),
        text: u.words.join(' '),
      })),
    ),
    sliceMs: 7000,
  };
}
