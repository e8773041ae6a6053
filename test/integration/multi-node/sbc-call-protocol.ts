/** Messages between the multi-node test and its SBC process (over fork IPC). */
export type SbcParentMessage = { type: 'hang-up' };

export type SbcChildMessage =
  | { type: 'answered' }
  | { type: 'ended'; packetsSent: number }
  | { type: 'failed'; message: string };
