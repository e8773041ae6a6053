import { CodecRegistry } from './codec-registry.js';
import type { CodecName } from './codecs.js';
import { pcmaDecoderFactory, pcmuDecoderFactory } from './g711-decoder.js';

/** What an SDP answer may accept: the decoders this machine has, in the configured preference. */
export interface CodecPolicy {
  registry: CodecRegistry;
  /** `sipCodecs`: most preferred first; codecs not named are never accepted. */
  preference: readonly CodecName[];
}

/** G.711 only, the codecs every machine can decode; for callers that have no configured policy. */
export const builtInCodecPolicy: CodecPolicy = {
  registry: new CodecRegistry([pcmuDecoderFactory, pcmaDecoderFactory]),
  preference: ['PCMU', 'PCMA'],
};
