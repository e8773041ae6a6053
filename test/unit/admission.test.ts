import { describe, expect, it } from 'vitest';
import { admission, type AdmissionLimits } from '../../src/domain/admission.js';

const limits: AdmissionLimits = {
  maxConcurrentCalls: 10,
  maxLagMs: 200,
  maxCpuPercent: 90,
  retryAfterS: 5,
};

describe('admission', () => {
  it('admits below every limit', () => {
    expect(admission(limits, { liveCalls: 9, lagP99Ms: 200, cpuPercent: 90 })).toEqual({
      admit: true,
    });
  });

  it('names every limit passed, with the Retry-After to send and what was measured', () => {
    const load = { liveCalls: 10, lagP99Ms: 201, cpuPercent: 95 };
    expect(admission(limits, load)).toEqual({
      admit: false,
      reasons: ['calls', 'lag', 'cpu'],
      retryAfterS: 5,
      load,
    });
    expect(admission(limits, { liveCalls: 0, lagP99Ms: 0, cpuPercent: 91 })).toMatchObject({
      reasons: ['cpu'],
    });
  });
});
