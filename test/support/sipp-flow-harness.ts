import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallEvent } from '../../src/domain/call-event.js';
import type { CallData } from '../../src/domain/call.js';
import type { Config } from '../../src/config/schema.js';
import { repoRoot, startTestServer } from './server-harness.js';
import { runSipp, sippCallArgs } from './sipp-runner.js';

export const flowsDir = join(repoRoot, 'test', 'sipp', 'flows');
export const rtpSender = join(repoRoot, 'test', 'sipp', 'send-rtp.mjs');
export const callerAudio = join(repoRoot, 'samples', 'support-call', 'caller.pcmu');
export const agentAudio = join(repoRoot, 'samples', 'support-call', 'agent.pcmu');
/** A third voice (a conference's supervisor): another sample call's agent. */
export const supervisorAudio = join(repoRoot, 'samples', 'product-call', 'agent.pcmu');

export type SippTransport = 'u1' | 't1';

/**
 * A whole callscribe (fake engine, SQLite) with sipp as the SRC: runs a scenario of
 * test/sipp/flows, then reads what a user sees: the call record, its events, the metrics.
 */
export async function startFlowServer(overrides: Partial<Record<keyof Config, unknown>> = {}) {
  const server = await startTestServer({ engine: 'fake', sipT1Ms: 50, ...overrides });
  const events = server.subscribe('/api/events');
  const workDir = mkdtempSync(join(tmpdir(), 'callscribe-flows-'));
  let counter = 0;

  const sipPort = (transport: SippTransport): number =>
    (transport === 'u1' ? server.running.sipPorts.udp : server.running.sipPorts.tcp) ?? 0;

  return {
    server,
    /** A Call-ID unique to this run; it is also the callId (callIdSource call-id). */
    newCallId: (name: string) => `${name}-${process.pid}-${++counter}@callscribe.test`,
    async runScenario(options: {
      scenario: string;
      transport: SippTransport;
      callId: string;
      keys?: Record<string, string>;
      timeoutMs?: number;
      /** Where sipp sends instead of the server's own port (a TLS tunnel in front of it). */
      targetPort?: number;
    }): Promise<{ code: number | null; output: string }> {
      const args = [
        '-sf',
        join(flowsDir, options.scenario),
        ...(await sippCallArgs({
          sipPort: options.targetPort ?? sipPort(options.transport),
          transport: options.transport,
          timeout: `${Math.ceil((options.timeoutMs ?? 30_000) / 1000)}s`,
        })),
        '-cid_str',
        options.callId,
        ...Object.entries({
          sender: rtpSender,
          caller_audio: callerAudio,
          agent_audio: agentAudio,
          ...options.keys,
        }).flatMap(([key, value]) => ['-key', key, value]),
      ];
      return runSipp(args, workDir, (options.timeoutMs ?? 30_000) + 5000);
    },
    async call(callId: string): Promise<CallData | undefined> {
      const response = await fetch(`${server.baseUrl}/api/calls/${encodeURIComponent(callId)}`);
      if (response.status === 404) return undefined;
      return (await response.json()) as CallData;
    },
    eventsOf(callId: string): CallEvent[] {
      return events.messages
        .map((m) => JSON.parse(m.data) as CallEvent)
        .filter((e) => e.CallId === callId);
    },
    /** The value of one Prometheus sample, 0 when absent. */
    async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
      const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
      const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (wanted.every((w) => line.includes(w))) return Number(line.split(' ').at(-1));
      }
      return 0;
    },
    logLines: () => server.captured.lines,
    async stop() {
      await events.stop();
      await server.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export type FlowServer = Awaited<ReturnType<typeof startFlowServer>>;
