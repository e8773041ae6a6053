import { pino } from 'pino';
import type { Channel } from '../../src/domain/call.js';
import type { SpeechEngine, SpeechResult } from '../../src/ports/speech-engine.js';
import type { SampleCall } from '../contract/speech-engine-contract.js';
import { wordErrorRate } from './wer.js';

/**
 * Feeds a whole sample call to an engine (both channels, 20 ms packets, as fast as it takes
 * them) and scores the finals: WER over the call, and the finals' text per channel.
 */
export async function transcribeSample(
  engine: SpeechEngine,
  sample: SampleCall,
  callId: string,
): Promise<{ wer: number; errors: number; words: number; text: Record<Channel, string> }> {
  const log = pino({ level: 'silent' });
  const channels: Channel[] = ['CALLER', 'AGENT'];
  const finals: Record<Channel, SpeechResult[]> = { CALLER: [], AGENT: [] };
  const streams = await Promise.all(
    channels.map((channel) =>
      engine.open({
        callId,
        channel,
        sampleRateHz: 8000,
        languageCode: 'en-US',
        log,
        onResult: (r) => {
          if (!r.isPartial) finals[channel].push(r);
        },
        onError: (e) => {
          throw e;
        },
      }),
    ),
  );
  const length = sample.pcm.CALLER.length;
  for (let offset = 0; offset < length; offset += 160) {
    channels.forEach((channel, i) =>
      streams[i]?.write(sample.pcm[channel].slice(offset, offset + 160)),
    );
    if ((offset / 160) % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(streams.map((s) => s.finish()));
  let errors = 0;
  let words = 0;
  const text = { CALLER: '', AGENT: '' };
  for (const channel of channels) {
    const reference = sample.utterances
      .filter((u) => u.channel === channel)
      .map((u) => u.text)
      .join(' ');
    text[channel] = finals[channel]
      .sort((a, b) => a.startMs - b.startMs)
      .map((r) => r.text)
      .join(' ');
    const r = wordErrorRate(reference, text[channel]);
    errors += r.errors;
    words += r.referenceWords;
  }
  return { wer: errors / words, errors, words, text };
}
