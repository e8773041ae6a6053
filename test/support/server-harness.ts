import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, type RunningServer, type Server } from '../../src/composition-root.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { readSse, type SseMessage } from '../../src/cli/sse-client.js';
import { captureLog } from './capture-log.js';
import { reserveRtpPortRange } from './rtp-port-range.js';

export const repoRoot = new URL('../..', import.meta.url).pathname;
export const parkAllHook = join(repoRoot, 'examples', 'hooks', 'park-all.mjs');

/** A whole callscribe server, built by the real composition root, on loopback with free ports. */
export async function startTestServer(overrides: Partial<Record<keyof Config, unknown>>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'callscribe-e2e-'));
  // Claimed, not picked: test files run side by side, each with servers of its own (see
  // rtp-port-range.ts). Tests that name their own range keep it.
  const rtpRange = overrides.rtpPorts === undefined ? reserveRtpPortRange(200) : undefined;
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      rtpHost: '127.0.0.1',
      ...(rtpRange ? { rtpPorts: `${rtpRange.min}-${rtpRange.max}` } : {}),
      logLevel: 'info',
      // The box running the suite is shared and often saturated by other runs: only the tests
      // of admission control itself set the lag and CPU limits low.
      admissionMaxLagMs: 5000,
      admissionMaxCpuPercent: 100,
      ...overrides,
    },
  });
  const captured = captureLog('info');
  let server: Server;
  let running: RunningServer;
  try {
    server = await buildServer(config, { log: captured.log });
    running = await server.start();
  } catch (error) {
    rtpRange?.release();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${running.httpPort}`;
  return {
    config,
    captured,
    running,
    baseUrl,
    /** The server itself (media worker controls, the call-sessions port). */
    server,
    /** Collects every SSE message of a URL until `stop()`. */
    subscribe(path: string) {
      const messages: SseMessage[] = [];
      const abort = new AbortController();
      const done = readSse(`${baseUrl}${path}`, {
        signal: abort.signal,
        onMessage: (m) => messages.push(m),
      }).catch(() => undefined);
      return {
        messages,
        async stop() {
          abort.abort();
          await done;
        },
      };
    },
    async stop() {
      await server.stop();
      rtpRange?.release();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
