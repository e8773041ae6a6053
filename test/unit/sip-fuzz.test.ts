import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSipCore, type SipCore } from '../../src/adapters/sip/sip-core.js';
import type { SipFlow } from '../../src/adapters/sip/sip-flow.js';
import {
  headerValue,
  serializeSipMessage,
  type SipMessage,
  type SipRequest,
} from '../../src/adapters/sip/sip-message.js';
import { parseSipMessage } from '../../src/adapters/sip/sip-parser.js';
import { configSchema } from '../../src/config/schema.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { FakeCallSessions, type RecordingHandle } from '../sipp/support/fake-call-sessions.js';
import { FakeMediaSessions } from '../sipp/support/fake-media-sessions.js';
import { siprecBody, sipRequest } from '../sipp/support/sip-requests.js';
import { loadVendorInvite, vendorInviteNames } from '../sipp/support/vendor-invites.js';

const RUNS = Number(process.env.SIP_FUZZ_RUNS ?? 10_000);
const SETTLE_LIMIT_MS = 2000;

/** Messages the recorder sent back, per flow. */
function captureFlow(transport: 'udp' | 'tcp', sent: Buffer[]): SipFlow {
  return {
    transport,
    remoteAddress: '127.0.0.1',
    remotePort: 5070,
    localAddress: '127.0.0.1',
    localPort: 5060,
    send: (data) => sent.push(data),
    isOpen: () => true,
  };
}

function withHeader(message: SipMessage, name: string, value: string): SipMessage {
  const lower = name.toLowerCase();
  return {
    ...message,
    headers: message.headers.map((h) =>
      h.name.toLowerCase() === lower ? { name: h.name, value } : h,
    ),
  };
}

async function total(metric: Metrics['sipDropped'] | Metrics['sipRequests']): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

/** ACKs and retransmissions are the requests that may legitimately go unanswered, counted. */
async function quietTotal(metrics: Metrics): Promise<number> {
  return (await metrics.sipRequests.get()).values
    .filter((v) => v.labels.method === 'ACK' || v.labels.status === 'retransmission')
    .reduce((sum, v) => sum + v.value, 0);
}

type Mutation =
  | { kind: 'flip'; edits: [number, number][] }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate-header'; line: number; times: number }
  | { kind: 'content-length'; value: string }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate-header' as const),
    line: fc.nat(),
    times: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('content-length' as const),
    value: fc.oneof(fc.integer({ min: -3, max: 70_000 }).map(String), fc.string({ maxLength: 6 })),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  }),
);

function mutate(input: Buffer, mutation: Mutation): Buffer {
  switch (mutation.kind) {
    case 'flip': {
      const out = Buffer.from(input);
      for (const [at, value] of mutation.edits) if (out.length > 0) out[at % out.length] = value;
      return out;
    }
    case 'truncate':
      return input.subarray(0, mutation.at % (input.length + 1));
    case 'insert': {
      const at = mutation.at % (input.length + 1);
      return Buffer.concat([
        input.subarray(0, at),
        Buffer.from(mutation.bytes),
        input.subarray(at),
      ]);
    }
    case 'duplicate-header': {
      const headEnd = input.indexOf('\r\n\r\n');
      if (headEnd < 0) return input;
      const lines = input.subarray(0, headEnd).toString('latin1').split('\r\n');
      const index = 1 + (mutation.line % Math.max(1, lines.length - 1));
      const line = lines[index] ?? '';
      lines.splice(index, 0, ...Array.from({ length: mutation.times }, () => line));
      return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), input.subarray(headEnd)]);
    }
    case 'content-length': {
      const text = input.toString('latin1');
      return Buffer.from(
        text.replace(/^(Content-Length|l)\s*:[^\r\n]*/im, `Content-Length: ${mutation.value}`),
        'latin1',
      );
    }
  }
}

interface Seed {
  name: string;
  /** Builds the message for a run; in-dialog seeds get a live dialog's tags. */
  build(
    run: number,
    dialog: { callId: string; toTag: string; fromTag: string } | undefined,
  ): Buffer;
  needsDialog: boolean;
}

function invitesSeeds(): Seed[] {
  const vendor = vendorInviteNames.map((name): Seed => {
    const template = parseSipMessage(loadVendorInvite(name).bytes);
    return {
      name,
      needsDialog: false,
      build: (run) =>
        serializeSipMessage(
          withHeader(
            withHeader(template, 'call-id', `fuzz-${run}@${name.slice(0, 2)}`),
            'via',
            `SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKfuzz${run}`,
          ),
        ),
    };
  });
  const { contentType, body } = siprecBody();
  const inDialog = (
    method: string,
    extra: Partial<Parameters<typeof sipRequest>[0]> = {},
  ): Seed => ({
    name: `in-dialog ${method}`,
    needsDialog: true,
    build: (run, dialog) =>
      serializeSipMessage(
        sipRequest({
          method,
          callId: dialog?.callId ?? `none-${run}`,
          cseq: 1 + run,
          branch: `z9hG4bKin${run}`,
          transport: 'tcp',
          clientPort: 5070,
          fromTag: dialog?.fromTag ?? 'src-tag',
          toTag: dialog?.toTag ?? 'x',
          ...extra,
        }),
      ),
  });
  const metadata =
    siprecBody().body.split('\r\n--xyz\r\n')[1]?.split('\r\n\r\n').slice(1).join('\r\n\r\n') ?? '';
  return [
    ...vendor,
    {
      name: 'generated INVITE',
      needsDialog: false,
      build: (run) =>
        serializeSipMessage(
          sipRequest({
            method: 'INVITE',
            callId: `gen-${run}`,
            cseq: 1,
            branch: `z9hG4bKgen${run}`,
            transport: 'udp',
            clientPort: 5070,
            contentType,
            body,
          }),
        ),
    },
    inDialog('BYE', { contentType: 'application/rs-metadata+xml', body: metadata }),
    inDialog('INVITE', { contentType, body: siprecBody({ direction: 'inactive' }).body }),
    inDialog('INVITE'),
    inDialog('UPDATE', { contentType: 'application/rs-metadata+xml', body: metadata }),
    inDialog('INFO', { contentType: 'application/rs-metadata+xml', body: metadata }),
    inDialog('OPTIONS'),
    inDialog('ACK', { cseq: 1 }),
    inDialog('CANCEL', { cseq: 1, cseqMethod: 'CANCEL' }),
  ];
}

describe('SIP fuzzing: mutated vendor and generated messages', () => {
  const calls = new FakeCallSessions();
  const media = new FakeMediaSessions();
  const metrics = createMetrics();
  const errors: string[] = [];
  const log = pino(
    { level: 'error' },
    { write: (line: string) => void errors.push((JSON.parse(line) as { msg: string }).msg) },
  );
  let core: SipCore;
  const seeds = invitesSeeds();

  beforeAll(() => {
    core = createSipCore({
      config: configSchema.parse({
        maxConcurrentCalls: 1_000_000,
        sipRateLimitPerSecond: 1_000_000,
      }),
      log,
      metrics,
      callSessions: calls,
      mediaSessions: media,
      sender: { send: () => undefined },
      // Long timers: nothing retransmits or expires while the fuzzer runs.
      timers: { t1Ms: 60_000, t2Ms: 60_000 },
    });
  });
  afterAll(async () => {
    await core.close();
  });

  async function settle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), SETTLE_LIMIT_MS);
    });
    const outcome = await Promise.race([core.settled().then(() => 'ok' as const), hung]);
    clearTimeout(timer);
    expect(outcome).toBe('ok');
  }

  let liveDialog:
    { callId: string; toTag: string; fromTag: string; handle: RecordingHandle } | undefined;

  /** A dialog for in-dialog seeds, reused until a mutated message happens to end it. */
  async function currentDialog(
    run: number,
  ): Promise<{ callId: string; toTag: string; fromTag: string }> {
    if (liveDialog !== undefined && liveDialog.handle.endReasons.length === 0) return liveDialog;
    const { contentType, body } = siprecBody();
    const callId = `dialog-${run}`;
    const sent: Buffer[] = [];
    const invite: SipRequest = sipRequest({
      method: 'INVITE',
      callId,
      cseq: 1,
      branch: `z9hG4bKd${run}`,
      transport: 'tcp',
      clientPort: 5070,
      contentType,
      body,
    });
    core.endpoint.message(serializeSipMessage(invite), captureFlow('tcp', sent));
    await settle();
    const ok = sent
      .map((b) => parseSipMessage(b))
      .find((m) => m.kind === 'response' && m.status === 200);
    const toTag = /;tag=([^;]+)/.exec(ok === undefined ? '' : (headerValue(ok, 'to') ?? ''))?.[1];
    expect(toTag).toBeDefined();
    const handle = calls.handles.at(-1);
    expect(handle?.callId).toBe(callId);
    if (handle === undefined) throw new Error('no call handle for the dialog');
    liveDialog = { callId, toTag: toTag ?? '', fromTag: 'src-tag', handle };
    return liveDialog;
  }

  it(`answers or counts every one of ${RUNS} mutated messages, without crashing or hanging`, async () => {
    let run = 0;
    let unanswered = 0;
    let lastDropped = 0;
    let lastQuiet = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom<'udp' | 'tcp'>('udp', 'tcp'),
        async (seedIndex, mutations, transport) => {
          run += 1;
          const seed = seeds[seedIndex] as Seed;
          const dialog = seed.needsDialog ? await currentDialog(run) : undefined;
          const data = mutations.reduce(mutate, seed.build(run, dialog));
          const sent: Buffer[] = [];
          core.endpoint.message(data, captureFlow(transport, sent));
          await settle();
          if (sent.length === 0) {
            // Unanswered: dropped with a counted reason, or a counted ACK or retransmission.
            // Neither counter moves for answered messages, so comparing with the last check is exact.
            const dropped = await total(metrics.sipDropped);
            const quiet = await quietTotal(metrics);
            if (dropped === lastDropped) {
              unanswered += 1;
              expect(quiet).toBeGreaterThan(lastQuiet);
              expect(parseSipMessage(data)).toMatchObject({ kind: 'request' });
            }
            lastDropped = dropped;
            lastQuiet = quiet;
          }
          for (const response of sent) expect(() => parseSipMessage(response)).not.toThrow();
        },
      ),
      { numRuns: RUNS },
    );
    expect(run).toBe(RUNS);
    expect(errors.filter((msg) => /handling failed|handler failed/.test(msg))).toEqual([]);
    const internal = (await metrics.sipDropped.get()).values.find(
      (v) => v.labels.reason === 'internal-error',
    );
    expect(internal).toBeUndefined();
    expect(unanswered).toBeLessThan(RUNS);
  }, 60_000);
});
