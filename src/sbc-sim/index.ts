/** The SBC simulator: a SIPREC client (SRC) for demos, tests and load generation. */
export {
  placeSiprecCall,
  type PlaceSiprecCallOptions,
  type PlacedSiprecCall,
} from './place-siprec-call.js';
export {
  startSiprecCall,
  type EstablishedSiprecCall,
  type SiprecCallOptions,
} from './siprec-call.js';
export {
  RtpPacer,
  type EncodedPayloads,
  type PacedStream,
  type PacedStreamOptions,
  type RtpPacerOptions,
} from './rtp-pacer.js';
export type { SbcSimEvent, SbcSimEventListener } from './sbc-sim-events.js';
export { buildSiprecOffer } from './siprec-offer.js';
