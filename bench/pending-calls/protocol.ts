/** Messages between the benchmark driver and its two child processes (over fork IPC). */
export interface ReceiverReady {
  type: 'ready';
  ports: number[];
  setupMs: number;
  rssBaselineBytes: number;
  rssAfterSetupBytes: number;
}

export interface ReceiverSnapshot {
  type: 'snapshot';
  cpuMicros: number;
  packetsReceived: number;
  rssBytes: number;
}

export interface GeneratorReport {
  type: 'report';
  packetsSent: number;
  packetsSkipped: number;
}

export type ReceiverMode = 'callscribe' | 'bare';
