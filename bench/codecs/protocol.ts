/** Messages between the codec benchmark's driver and its child processes (fork IPC). */
export type BenchCodec = 'PCMU' | 'G722' | 'G729' | 'opus';

/** A codec's payloads for the pacer, written to a JSON file by the driver (base64 payloads). */
export interface EncodedClipFile {
  codec: BenchCodec;
  payloadType: number;
  ticksPerPacket: number;
  /** Per channel (caller, agent), one payload per 20 ms packet. */
  channels: [string[], string[]];
}

export interface ReceiverReady {
  type: 'ready';
  ports: number[];
  setupMs: number;
}

export interface ReceiverSnapshot {
  type: 'snapshot';
  cpuMicros: number;
  packetsReceived: number;
  packetsDecoded: number;
  rssBytes: number;
}

/** The generator's counts at one moment, taken with each receiver snapshot. */
export interface GeneratorCount {
  type: 'count';
  packetsSent: number;
  packetsSkipped: number;
}

export interface GeneratorReport {
  type: 'report';
  packetsSent: number;
  packetsSkipped: number;
}
