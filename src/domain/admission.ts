/** The limits past which a node takes no new call (`maxConcurrentCalls`, `admissionMax*`). */
export interface AdmissionLimits {
  maxConcurrentCalls: number;
  /** Event-loop lag p99 of the busiest call-carrying thread, ms. */
  maxLagMs: number;
  /** Process CPU, all threads, as a percentage of the node's cores. */
  maxCpuPercent: number;
  /** What a refused SBC is told to wait before trying this node again. */
  retryAfterS: number;
}

export interface AdmissionLoad {
  liveCalls: number;
  lagP99Ms: number;
  cpuPercent: number;
}

export type OverloadReason = 'calls' | 'lag' | 'cpu';

export type Admission =
  | { admit: true }
  /** `load` is what was measured, so a refusal's log says by how much a limit was passed. */
  | { admit: false; reasons: OverloadReason[]; retryAfterS: number; load: AdmissionLoad };

/**
 * Whether a new call may be taken. Every limit is checked (not only the first one hit), so
 * health reports and logs name all of them.
 */
export function admission(limits: AdmissionLimits, load: AdmissionLoad): Admission {
  const reasons: OverloadReason[] = [];
  if (load.liveCalls >= limits.maxConcurrentCalls) reasons.push('calls');
  if (load.lagP99Ms > limits.maxLagMs) reasons.push('lag');
  if (load.cpuPercent > limits.maxCpuPercent) reasons.push('cpu');
  return reasons.length === 0
    ? { admit: true }
    : { admit: false, reasons, retryAfterS: limits.retryAfterS, load };
}
