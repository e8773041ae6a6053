import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { FakeSpeechEngine } from '../../src/adapters/speech/fake/fake-engine.js';
import { parseFakeScript } from '../../src/adapters/speech/fake/fake-script.js';
import { decodeG711 } from '../../src/media/g711.js';

/**
 * Segment events one call produces per second of the looped sample call, partials included
 * (`savePartialTranscripts` defaults to true): the fake engine run on the same audio here,
 * without a server, over `loops` rounds of the file.
 */
export async function expectedSegmentsPerCallSecond(loops = 4): Promise<number> {
  const samples = new URL('../../samples/support-call/', import.meta.url).pathname;
  const engine = new FakeSpeechEngine(parseFakeScript({}));
  let results = 0;
  let seconds = 0;
  for (const file of ['caller.pcmu', 'agent.pcmu'] as const) {
    const pcm = decodeG711('PCMU', readFileSync(samples + file));
    const stream = await engine.open({
      callId: 'expected',
      channel: file === 'caller.pcmu' ? 'CALLER' : 'AGENT',
      sampleRateHz: 8000,
      languageCode: 'en-US',
      log: pino({ level: 'silent' }),
      onResult: () => void results++,
      onError: () => undefined,
    });
    for (let loop = 0; loop < loops; loop++)
      for (let at = 0; at < pcm.length; at += 160) stream.write(pcm.subarray(at, at + 160));
    await stream.finish();
    seconds = Math.max(seconds, (loops * pcm.length) / 8000);
  }
  await engine.close();
  return results / seconds;
}
