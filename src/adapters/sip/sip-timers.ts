/** RFC 3261 §17.1.1.1 timer values; tests shorten them. */
export interface SipTimers {
  /** RTT estimate: first retransmission interval. */
  t1Ms: number;
  /** Cap on the retransmission interval. */
  t2Ms: number;
}

export const defaultSipTimers: SipTimers = { t1Ms: 500, t2Ms: 4000 };

/** Timer B/F/H/J and the 2xx-ACK wait: how long a transaction lives, 64*T1. */
export function transactionTimeoutMs(timers: SipTimers): number {
  return 64 * timers.t1Ms;
}

/**
 * How long after an INVITE's receipt its 200 OK may still go out: the SBC's Timer B (64×T1, the
 * time it waits for a final response) less 4×T1 (2 s at the default T1) for the time the INVITE
 * spent on the wire and in the socket before callscribe read it.
 */
export function answerWithinMs(timers: SipTimers): number {
  return 60 * timers.t1Ms;
}
