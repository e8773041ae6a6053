import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botoEndpointDataPath } from '../support/boto-endpoint.js';
import type { CallEvent } from '../../src/domain/call-event.js';
import { parkAllHook, repoRoot, startTestServer } from '../support/server-harness.js';
import { runSippSiprecCall } from '../support/sipp-runner.js';
import { tools } from '../support/tools.js';
import { waitFor } from '../support/wait-for.js';
import { wordErrorRate } from '../support/wer.js';

const run = promisify(execFile);
const sphinx = tools.pocketsphinx();
const sipp = tools.sipp();
const boto3 = tools.python3Boto3();
const CALL_ID = 'Your-CallId-Here'; // the seed's boto3 script hard-codes it
const samples = join(repoRoot, 'samples', 'support-call');

interface Utterance {
  channel: 'CALLER' | 'AGENT';
  startS: number;
  endS: number;
  text: string;
}
const dialog: Utterance[] = readFileSync(join(samples, 'dialog.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [, channel, start, end, text] = line.split('\t');
    return {
      channel: channel as Utterance['channel'],
      startS: Number(start),
      endS: Number(end),
      text: text ?? '',
    };
  });

const sleepUntil = (t0: number, ms: number) =>
  new Promise((r) => setTimeout(r, Math.max(0, t0 + ms - performance.now())));

/**
 * The issue's acceptance path: SIPREC call with the project's sample → the hook parks it →
 * the seed's unchanged boto3 script starts it → segments on SSE on the right channels →
 * STOP pauses, START resumes → BYE → END, and a two-channel recording.
 */
describe.skipIf(!sphinx.available || !boto3.available || !sipp.available)(
  'live transcription end to end (pocketsphinx)',
  () => {
    let server: Awaited<ReturnType<typeof startTestServer>>;
    const timeline: { mediaStartedWallMs?: number; stopSentS?: number; resumeSentS?: number } = {};
    let events: { id: string; event: CallEvent }[] = [];

    beforeAll(async () => {
      server = await startTestServer({
        hook: parkAllHook,
        engine: 'pocketsphinx',
      });
      const sse = server.subscribe(`/api/calls/${CALL_ID}/events`);
      // sipp is the SBC: SIPREC INVITE with both streams, its exec'd sender streams the sample, BYE at 28.5 s.
      const workDir = mkdtempSync(join(tmpdir(), 'callscribe-e2e-sipp-'));
      const call = runSippSiprecCall({
        repoRoot,
        sipPort: server.running.sipPorts.udp!,
        callId: CALL_ID,
        callerAudio: join(samples, 'caller.pcmu'),
        agentAudio: join(samples, 'agent.pcmu'),
        cwd: workDir,
      });
      // The media starts with the ACK, right after the call is stored (its first event).
      let sippDone: { code: number | null; output: string } | undefined;
      void call.then((r) => (sippDone = r));
      await waitFor(() => sse.messages.length > 0 || sippDone !== undefined, {
        timeoutMs: 15_000,
        what: 'the call to arrive',
      });
      if (sse.messages.length === 0)
        throw new Error(`no call arrived; sipp: ${sippDone?.output ?? ''}`);
      const t0 = performance.now();
      timeline.mediaStartedWallMs = Date.now();
      // Controls land in the silences between utterances (dialog.tsv): 4.8 s, 15.0 s, 19.25 s.
      await sleepUntil(t0, 3800); // python + boto3 start-up takes most of a second
      await run('python3', [join(repoRoot, 'test', 'fixtures', 'clients', 'lca_start_call.py')], {
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_EVENTBRIDGE: server.baseUrl,
          AWS_DATA_PATH: botoEndpointDataPath(server.baseUrl),
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'dummysecret',
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      });
      await sleepUntil(t0, 15_000);
      timeline.stopSentS = (performance.now() - t0) / 1000;
      // Not awaited: the answer waits for the engine's flush, which may outlast the pause on a busy machine.
      const stop = fetch(`${server.baseUrl}/api/calls/${CALL_ID}/stop`, { method: 'POST' });
      await sleepUntil(t0, 19_250);
      timeline.resumeSentS = (performance.now() - t0) / 1000;
      const resume = await fetch(`${server.baseUrl}/api/calls/${CALL_ID}/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(resume.status).toBe(200);
      expect((await stop).status).toBe(200);
      const sippResult = await call;
      expect(sippResult.code, sippResult.output).toBe(0);
      rmSync(workDir, { recursive: true, force: true });
      // END is not the last event: the recording is announced after it (as LCA does after its
      // upload), in a separate append, and only then is the call ENDED. Stopping the feed at END
      // raced that append. The end is complete once the record is ENDED; the feed then carries
      // every closing event, END and ADD_S3_RECORDING_URL included.
      await waitFor(
        async () =>
          (
            (await (await fetch(`${server.baseUrl}/api/calls/${CALL_ID}`)).json()) as {
              state?: string;
            }
          ).state === 'ENDED',
        { timeoutMs: 30_000, what: 'the call to be ENDED' },
      );
      await waitFor(
        () =>
          sse.messages.some((m) => m.event === 'END') &&
          sse.messages.some((m) => m.event === 'ADD_S3_RECORDING_URL'),
        { timeoutMs: 10_000, what: 'END and ADD_S3_RECORDING_URL on the event feed' },
      );
      await sse.stop();
      events = sse.messages.map((m) => ({
        id: m.id ?? '',
        event: JSON.parse(m.data) as CallEvent,
      }));
    }, 90_000);

    afterAll(async () => server?.stop());

    it('publishes nothing but the parked state before START, and START with the seed script overrides', () => {
      const types = events.map((e) => e.event.EventType);
      const startIndex = types.indexOf('START');
      expect(types[0]).toBe('CALL_STATE');
      expect(startIndex).toBeGreaterThan(0);
      expect(types.slice(0, startIndex)).not.toContain('ADD_TRANSCRIPT_SEGMENT');
      expect(events[startIndex]?.event).toMatchObject({
        AgentId: 'Bob the Builder',
        CustomerPhoneNumber: 'Bobs cell',
        SystemPhoneNumber: 'Contact Center Number',
      });
    });

    it('sends no segments while paused: all come before PAUSED or after the resume', () => {
      const states = events
        .map((e, i) => ({ i, e: e.event }))
        .filter((x) => x.e.EventType === 'CALL_STATE');
      const paused = states.find((s) => s.e.EventType === 'CALL_STATE' && s.e.State === 'PAUSED');
      const resumed = states.filter(
        (s) => s.e.EventType === 'CALL_STATE' && s.e.State === 'PROCESSING',
      )[1];
      expect(paused && resumed).toBeTruthy();
      const during = events
        .slice(paused!.i, resumed!.i)
        .filter((e) => e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT');
      expect(during).toEqual([]);
      expect(
        events.slice(resumed!.i).some((e) => e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT'),
      ).toBe(true);
    });

    it('transcribes the sample words on the right channel (WER printed and bounded)', () => {
      const finals = events.flatMap((e) =>
        e.event.EventType === 'ADD_TRANSCRIPT_SEGMENT' && !e.event.IsPartial ? [e.event] : [],
      );
      // Processed windows in call time: START as the server published it (the audio gate opens
      // then); STOP and resume as sent, since the gate moves at once while the PAUSED event waits
      // for the engine to flush its finals.
      const at = (e: CallEvent | undefined) =>
        (Date.parse(e?.CreatedAt ?? '') - timeline.mediaStartedWallMs!) / 1000;
      const states = events
        .map((e) => e.event)
        .filter((e) => e.EventType === 'CALL_STATE' || e.EventType === 'START');
      const w1Start = at(states.find((e) => e.EventType === 'START'));
      const w1End = timeline.stopSentS!;
      const w2Start = timeline.resumeSentS!;
      const windows = [
        [w1Start, w1End],
        [w2Start, 28],
      ] as const;
      console.log(
        `processed windows (s of call time): ${windows.map(([a, b]) => `${a.toFixed(2)}–${b.toFixed(2)}`).join(', ')}`,
      );
      // Utterances the processed windows touch, even partly: a cut utterance costs some deletions,
      // but segment times are not mapped back to call time (pacing under load makes that fragile).
      const touched = (u: Utterance) =>
        windows.some(([a, b]) => u.endS > a + 0.3 && u.startS < b - 0.3);
      for (const f of finals)
        console.log(`final ${f.Channel} ${f.StartTime.toFixed(2)} s: ${f.Transcript}`);
      const results: Record<string, number> = {};
      for (const channel of ['CALLER', 'AGENT'] as const) {
        const reference = dialog
          .filter((u) => u.channel === channel && touched(u))
          .map((u) => u.text)
          .join(' ');
        const other = dialog
          .filter((u) => u.channel !== channel && touched(u))
          .map((u) => u.text)
          .join(' ');
        const hypothesis = finals
          .filter((s) => s.Channel === channel)
          .map((s) => s.Transcript)
          .join(' ');
        const wer = wordErrorRate(reference, hypothesis).wer;
        const crossWer = wordErrorRate(other, hypothesis).wer;
        results[channel] = wer;
        console.log(
          `WER ${channel}: ${(wer * 100).toFixed(1)}% (against the other channel's words: ${(crossWer * 100).toFixed(1)}%)`,
        );
        console.log(`  reference:  ${reference}\n  hypothesis: ${hypothesis}`);
        // Measured 22–55 % per channel here (cut utterances included); the bound leaves room for a loaded machine.
        expect(wer).toBeLessThan(0.7);
        expect(crossWer).toBeGreaterThan(0.85);
      }
    });

    it('ends with END after BYE and a recording with both channels', async () => {
      const types = events.map((e) => e.event.EventType);
      expect(types.indexOf('END')).toBeGreaterThan(types.lastIndexOf('ADD_TRANSCRIPT_SEGMENT'));
      const recordingEvent = events.find((e) => e.event.EventType === 'ADD_S3_RECORDING_URL');
      expect(recordingEvent).toBeTruthy();
      const wav = Buffer.from(
        await (await fetch(`${server.baseUrl}/api/calls/${CALL_ID}/recording`)).arrayBuffer(),
      );
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt16LE(22)).toBe(2);
      expect(wav.readUInt32LE(24)).toBe(8000);
      let left = 0;
      let right = 0;
      for (let i = 44; i + 3 < wav.length; i += 4) {
        left += Math.abs(wav.readInt16LE(i));
        right += Math.abs(wav.readInt16LE(i + 2));
      }
      const frames = (wav.length - 44) / 4;
      expect(left / frames).toBeGreaterThan(50);
      expect(right / frames).toBeGreaterThan(50);
      const stored = await (await fetch(`${server.baseUrl}/api/calls/${CALL_ID}`)).json();
      expect(stored).toMatchObject({
        state: 'ENDED',
        endReason: 'bye',
        agentId: 'Bob the Builder',
      });
    });
  },
);
