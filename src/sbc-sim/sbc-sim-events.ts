/** Progress of a simulated SIPREC call, for `callscribe demo` and load tools to show. */
export type SbcSimEvent =
  | { type: 'invite-sent'; callId: string; transport: 'udp' | 'tcp'; bytes: number }
  | { type: 'response'; callId: string; method: string; status: number; reason: string }
  | { type: 'answered'; callId: string; answerAddress: string; answerPorts: number[] }
  | { type: 'media-started'; callId: string; streams: number }
  | { type: 'progress'; callId: string; packetsSent: number; elapsedMs: number }
  | { type: 'remote-bye'; callId: string }
  | { type: 'bye-sent'; callId: string }
  | { type: 'ended'; callId: string; packetsSent: number };

export type SbcSimEventListener = (event: SbcSimEvent) => void;
