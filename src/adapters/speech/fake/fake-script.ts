import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../../domain/errors.js';

/**
 * What the fake engine says and when it fails, as JSON (config.fakeEngineScript) or an object
 * (tests). Utterances are found by an energy detector; each one takes the next text of its channel.
 */
export const fakeScriptSchema = z.object({
  /** Texts per channel, one per utterance, in order; afterwards "<channel> utterance <n>". */
  texts: z.partialRecord(z.enum(['CALLER', 'AGENT']), z.array(z.string())).default({}),
  /** A partial per this much utterance audio. */
  partialEveryMs: z.number().int().positive().default(300),
  /** Quiet time that ends an utterance. */
  endSilenceMs: z.number().int().positive().default(400),
  /** Shorter voiced runs are noise, not utterances. */
  minUtteranceMs: z.number().int().nonnegative().default(100),
  /** Delay before each result is delivered, like a remote engine's. */
  resultDelayMs: z.number().int().nonnegative().default(0),
  /** Each failure fires once, when a matching stream has received `afterMs` of audio. */
  failures: z
    .array(
      z.object({
        channel: z.enum(['CALLER', 'AGENT']).optional(),
        afterMs: z.number().int().nonnegative(),
        retryable: z.boolean().default(true),
      }),
    )
    .default([]),
  /** The first N open() calls fail (retryable), to exercise reconnect back-off. */
  openFailures: z.number().int().nonnegative().default(0),
});

export type FakeScript = z.infer<typeof fakeScriptSchema>;
export type FakeScriptInput = z.input<typeof fakeScriptSchema>;

export function parseFakeScript(input: unknown): FakeScript {
  const parsed = fakeScriptSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new AppError('CONFIG_INVALID', 'invalid fake engine script', {
      details: { problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

export async function loadFakeScript(path: string | undefined): Promise<FakeScript> {
  if (path === undefined) return parseFakeScript({});
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', 'cannot read the fake engine script', {
      cause,
      details: { path },
    });
  }
  return parseFakeScript(raw);
}
