import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { buildServer, type Server } from '../composition-root.js';
import type { CallEvent } from '../domain/call-event.js';
import { placeSiprecCall } from '../sbc-sim/index.js';
import type { SbcSimEvent } from '../sbc-sim/index.js';
import { isServerUp } from './api-client.js';
import { putControlEvent } from './put-events.js';
import { readSse } from './sse-client.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface DemoOptions {
  url?: string;
  transport: 'udp' | 'tcp';
  startAfterMs: number;
  durationMs: number;
  out(line: string): void;
}

/**
 * The newcomer's first run: a server whose demo hook parks every call, a sample SIPREC call
 * from the project's own SBC simulator, START_CALL_PROCESSING through PutEvents a few seconds
 * in, and both channels' transcript printed as it arrives.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { out } = options;
  let server: Server | undefined;
  let baseUrl: string;
  let sipTarget: { host: string; port: number };

  if (options.url) {
    if (!(await isServerUp(options.url)))
      throw new Error(`no callscribe server answers at ${options.url}`);
    baseUrl = options.url;
    sipTarget = { host: new URL(options.url).hostname, port: loadConfig().sipPort };
    out(`Using the server at ${baseUrl}; its hook decides whether the call is parked.`);
  } else {
    const config = loadConfig({
      overrides: {
        hook: join(packageRoot, 'examples', 'hooks', 'park-all.mjs'),
        sipPort: 0,
        sipHost: '127.0.0.1',
        // The demo's own server, SBC and client all talk over loopback, whatever the environment says.
        httpHost: '127.0.0.1',
        httpTls: false,
        logLevel: 'warn',
      },
    });
    out(
      `Starting callscribe (engine: ${config.engine}, data: ${config.dataDir}) with the demo hook, which parks every call...`,
    );
    server = await buildServer(config);
    const running = await server.start();
    baseUrl = `http://127.0.0.1:${running.httpPort}`;
    sipTarget = {
      host: '127.0.0.1',
      port: options.transport === 'udp' ? running.sipPorts.udp! : running.sipPorts.tcp!,
    };
    out(
      `Server up: web UI ${baseUrl}/  SIP ${options.transport.toUpperCase()} 127.0.0.1:${sipTarget.port}`,
    );
  }

  const callId = `demo-${new Date().toISOString().replace(/[-:.TZ]/g, '')}`;
  const sseAbort = new AbortController();
  let sawEnd!: () => void;
  const ended = new Promise<void>((resolve) => (sawEnd = resolve));
  const sse = readSse(`${baseUrl}/api/calls/${encodeURIComponent(callId)}/events`, {
    signal: sseAbort.signal,
    onMessage: (message) => {
      const event = JSON.parse(message.data) as CallEvent;
      printEvent(event, out);
      // END is followed by the recording's URL; give it a moment before closing the stream.
      if (event.EventType === 'ADD_S3_RECORDING_URL') sawEnd();
      if (event.EventType === 'END') setTimeout(sawEnd, 1500).unref();
    },
  }).catch((err: unknown) =>
    out(`event stream failed: ${err instanceof Error ? err.message : String(err)}`),
  );

  const samples = join(packageRoot, 'samples', 'support-call');
  let startTimer: NodeJS.Timeout | undefined;
  const onEvent = (event: SbcSimEvent): void => {
    if (event.type === 'answered')
      out(`SBC: recording session answered (RTP ports ${event.answerPorts.join(', ')})`);
    if (event.type === 'media-started') {
      out(
        `SBC: streaming caller and agent audio; START_CALL_PROCESSING in ${options.startAfterMs / 1000} s`,
      );
      startTimer = setTimeout(() => {
        out(
          'Control: sending START_CALL_PROCESSING through the PutEvents API (agentId "demo-agent")',
        );
        putControlEvent({
          baseUrl,
          detailType: 'START_CALL_PROCESSING',
          detail: { callId, agentId: 'demo-agent' },
        })
          .then((r) =>
            out(
              r.errorCode
                ? `PutEvents entry failed: ${r.errorCode} ${r.errorMessage ?? ''}`
                : `PutEvents accepted, EventId ${r.eventId ?? '?'}`,
            ),
          )
          .catch((err: unknown) =>
            out(`PutEvents failed: ${err instanceof Error ? err.message : String(err)}`),
          );
      }, options.startAfterMs);
    }
    if (event.type === 'bye-sent') out('SBC: call over, BYE sent');
  };

  try {
    out(`SBC: placing SIPREC call ${callId} over ${options.transport.toUpperCase()}`);
    await placeSiprecCall({
      target: sipTarget,
      transport: options.transport,
      callId,
      callerAudio: readFileSync(join(samples, 'caller.pcmu')),
      agentAudio: readFileSync(join(samples, 'agent.pcmu')),
      durationMs: options.durationMs,
      onEvent,
    });
    // Bounded, and unref'd so a finished demo exits at once.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    out(
      `Done. Transcript: ${baseUrl}/api/calls/${encodeURIComponent(callId)}/transcript?format=text  Recording: ${baseUrl}/api/calls/${encodeURIComponent(callId)}/recording`,
    );
  } finally {
    clearTimeout(startTimer);
    sseAbort.abort();
    await sse;
    await server?.stop();
  }
}

function printEvent(event: CallEvent, out: (line: string) => void): void {
  switch (event.EventType) {
    case 'CALL_STATE':
      out(
        `Call: ${event.State}${event.State === 'PENDING' ? ' (parked by the hook: audio received, not transcribed)' : ''}`,
      );
      break;
    case 'START':
      out(`Call: START event, agent ${event.AgentId ?? '-'}`);
      break;
    case 'ADD_TRANSCRIPT_SEGMENT':
      if (!event.IsPartial)
        out(
          `  [${event.StartTime.toFixed(1).padStart(5)} s] ${event.Channel.padEnd(6)} ${event.Transcript}`,
        );
      break;
    case 'END':
      out('Call: END');
      break;
    case 'ADD_S3_RECORDING_URL':
      out(`Call: recording at ${event.RecordingUrl}`);
      break;
    case 'UPDATE_AGENT':
      out(`Call: agent is now ${event.AgentId}`);
      break;
  }
}
