/** Messages between a test (or bench) and its SBC fleet process, over fork IPC. */
export type FleetCommand =
  { type: 'place'; callId: string; durationMs?: number } | { type: 'hang-up'; callId: string };

export type FleetReport =
  | { type: 'answered'; callId: string }
  | { type: 'ended'; callId: string; packetsSent: number }
  | { type: 'failed'; callId: string; message: string };
