import { numberFromAor } from './number-from-aor.js';

/**
 * Whether two addresses name the same party: equal user parts, or phone numbers that agree on
 * their trailing digits (`+17602922410` and `7602922410`), since vendors mix E.164 and national
 * forms between the participant list and their own extension data.
 */
export function sameParty(a: string | null, b: string | null): boolean {
  const userA = numberFromAor(a).toLowerCase();
  const userB = numberFromAor(b).toLowerCase();
  if (userA === '' || userB === '') return false;
  if (userA === userB) return true;
  const phone = /^\+?\d{4,}$/;
  if (!phone.test(userA) || !phone.test(userB)) return false;
  const digitsA = userA.replace('+', '');
  const digitsB = userB.replace('+', '');
  return digitsA.endsWith(digitsB) || digitsB.endsWith(digitsA);
}
