import type { CallData, PartyNumberField, PartyNumberSource } from './call.js';

const fields: readonly PartyNumberField[] = ['fromNumber', 'toNumber'];

/** Records that the hook or a control event chose these numbers, so metadata never overrides them. */
export function markNumbersSetBy(
  call: CallData,
  source: Exclude<PartyNumberSource, 'metadata-update'>,
  set: Partial<Record<PartyNumberField, string | undefined>>,
): CallData {
  const chosen = fields.filter((field) => set[field] !== undefined);
  if (chosen.length === 0) return call;
  const numbersSetBy = { ...call.numbersSetBy };
  for (const field of chosen) numbersSetBy[field] = source;
  return { ...call, numbersSetBy };
}

/**
 * Numbers a SIPREC metadata update names (a re-INVITE, UPDATE or INFO: Avaya SBCE's real second
 * party replacing its placeholder) fill what is still unknown: an empty fromNumber/toNumber that
 * neither the hook nor a control event set. Nothing is ever overwritten. Returns the fields
 * filled (empty when none).
 */
export function fillMissingNumbers(
  call: CallData,
  found: Readonly<{ fromNumber: string; toNumber: string }>,
): { call: CallData; filled: PartyNumberField[] } {
  const filled = fields.filter((field) => {
    const setBy = call.numbersSetBy?.[field];
    return (
      call[field] === '' && found[field] !== '' && setBy !== 'hook' && setBy !== 'control-event'
    );
  });
  if (filled.length === 0) return { call, filled };
  const next: CallData = { ...call, numbersSetBy: { ...call.numbersSetBy } };
  for (const field of filled) {
    next[field] = found[field];
    next.numbersSetBy = { ...next.numbersSetBy, [field]: 'metadata-update' };
  }
  return { call: next, filled };
}
