import type { AdmissionLimits } from '../../src/domain/admission.js';
import type { LoadGauge } from '../../src/ports/load-gauge.js';

/** Admission settings for a CallService in tests: the defaults, on a node that reads idle. */
export const quietNode: { admission: AdmissionLimits; load: LoadGauge } = {
  admission: { maxConcurrentCalls: 1000, maxLagMs: 200, maxCpuPercent: 90, retryAfterS: 5 },
  load: { reading: () => ({ lagP99Ms: 0, cpuPercent: 0, lagByThreadMs: {} }) },
};
