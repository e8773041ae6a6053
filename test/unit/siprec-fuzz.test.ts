import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors.js';
import { mapChannels } from '../../src/adapters/siprec/channel-mapping.js';
import { splitMultipart } from '../../src/adapters/siprec/multipart.js';
import { parseRecordingMetadata } from '../../src/adapters/siprec/rs-metadata.js';
import { buildSdpAnswer } from '../../src/adapters/siprec/sdp-answer.js';
import { parseSiprecOffer } from '../../src/adapters/siprec/siprec-offer.js';
import { fixtureNames, loadFixture } from '../fixtures/siprec/load-fixture.js';

const corpus = fixtureNames.map((name) => loadFixture(name));

type Mutation =
  | { kind: 'flip'; at: number; char: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number };

const interesting = fc.constantFrom(
  '<',
  '>',
  '</',
  '/>',
  '&',
  '&#x0;',
  ']]>',
  '<![CDATA[',
  '<!--',
  '"',
  "'",
  '=',
  '\r',
  '\n',
  '\r\n',
  ':',
  ';',
  '<participant id="x">',
  '</recording>',
  '<send>',
  '<stream stream_id="s"><label>9</label>',
  'm=audio 0 RTP/AVP 0\r\n',
  'a=label:',
  'Content-Type: application/sdp\r\n\r\n',
  '--',
  '\u0000',
  '\uFFFF',
  '\uD800',
);

function mutation(boundary: string): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 8000 });
  return fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at,
      char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      text: fc.oneof(
        interesting,
        fc.constant(`\r\n--${boundary}\r\n`),
        fc.constant(`\n--${boundary}--`),
        fc.string({ maxLength: 20 }),
      ),
    }),
    fc.record({
      kind: fc.constant('delete' as const),
      at,
      length: fc.integer({ min: 1, max: 200 }),
    }),
  );
}

function apply(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'flip') out = out.slice(0, at) + m.char + out.slice(at + 1);
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'insert') out = out.slice(0, at) + m.text + out.slice(at);
    else out = out.slice(0, at) + out.slice(at + m.length);
  }
  return out;
}

/** Either a value or an AppError: any other throw (TypeError, RangeError, ...) fails the property. */
function returnsOrAppError(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    if (isAppError(error)) return true;
    throw error;
  }
}

function fullPipeline(contentType: string, body: string): void {
  const offer = parseSiprecOffer(contentType, body);
  mapChannels({ offer });
  buildSdpAnswer(offer, {
    address: '127.0.0.1',
    ports: offer.streams.map((_, i) => 40000 + 2 * i),
    sessionId: '1',
    sessionVersion: 1,
  });
}

// Generous per-test timeouts: this is not a performance assertion (see bench/), only a bound on hangs
// when a shared 2-core CI box is busy.
describe('SIPREC parsers under mutated input', { timeout: 120_000 }, () => {
  it('multipart bodies: 4,000 mutated vendor bodies return or throw AppError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.array(mutation('x'), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (message, mutations, mutateHeader) => {
          const boundary = /boundary="?([^";]+)/i.exec(message.contentType)?.[1] ?? 'x';
          const withBoundary = mutations.map((m) =>
            m.kind === 'insert' && m.text.startsWith('\r\n--x')
              ? { ...m, text: `\r\n--${boundary}\r\n` }
              : m,
          );
          const body = apply(message.body, withBoundary);
          const contentType = mutateHeader
            ? apply(message.contentType, mutations.slice(0, 1))
            : message.contentType;
          expect(returnsOrAppError(() => splitMultipart(contentType, body))).toBe(true);
          expect(returnsOrAppError(() => fullPipeline(contentType, body))).toBe(true);
        },
      ),
      { numRuns: 4000, seed: 7866 },
    );
  });

  it('metadata: 5,000 mutated documents never throw', () => {
    const documents = corpus
      .map((message) => parseSiprecOffer(message.contentType, message.body).metadataXml)
      .filter((xml): xml is string => xml !== null);
    fc.assert(
      fc.property(
        fc.constantFrom(...documents),
        fc.array(mutation('x'), { minLength: 1, maxLength: 8 }),
        (xml, mutations) => {
          const metadata = parseRecordingMetadata(apply(xml, mutations));
          expect(['rfc7865', 'legacy-draft', 'broadworks', 'unknown']).toContain(metadata.dialect);
          expect(Array.isArray(metadata.participants)).toBe(true);
        },
      ),
      { numRuns: 5000, seed: 7865 },
    );
  });

  it('metadata: 1,000 random XML-ish strings never throw', () => {
    const token = fc.oneof(
      interesting,
      fc.string({ maxLength: 8 }),
      fc.constantFrom('<recording>', '<a:b c="d">', '</a:b>', 'participant'),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 200 }), (tokens) => {
        expect(parseRecordingMetadata(tokens.join('')).streams).toBeInstanceOf(Array);
      }),
      { numRuns: 1000, seed: 8068 },
    );
  });

  it('stays linear on pathological input: deep nesting, many "<", huge boundary runs', () => {
    const deep = '<recording>' + '<a>'.repeat(50_000) + '</recording>';
    const lts = '<'.repeat(200_000);
    const unclosed = '<participant id="p"'.repeat(20_000);
    for (const xml of [deep, lts, unclosed])
      expect(parseRecordingMetadata(xml).dialect).toBeDefined();
    const body = '--b\r\n'.repeat(50_000);
    expect(splitMultipart('multipart/mixed;boundary=b', body).length).toBe(50_000);
    expect(
      returnsOrAppError(() => splitMultipart('multipart/mixed;boundary=b', '-'.repeat(200_000))),
    ).toBe(true);
  });
});
