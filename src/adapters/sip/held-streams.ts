import type { Channel } from '../../domain/call.js';
import type { Dialog } from './dialogs.js';

/**
 * Makes the recorded streams' hold state what the latest SDP says: a held stream stops its media
 * timeout and a resumed one restarts it; the change is logged once, and the call is told when
 * the set of channels on hold changed.
 */
export function applyHeld(dialog: Dialog, held: Set<number>): void {
  const before = heldChannels(dialog, dialog.heldIndexes);
  for (const index of dialog.acceptedIndexes) {
    const nowHeld = held.has(index);
    if (nowHeld !== dialog.heldIndexes.has(index)) dialog.media.setInactive(index, nowHeld);
  }
  if (held.size !== dialog.heldIndexes.size || [...held].some((i) => !dialog.heldIndexes.has(i))) {
    dialog.log.info({ heldIndexes: [...held] }, 'recording streams held or resumed');
  }
  dialog.heldIndexes = held;
  const after = heldChannels(dialog, held);
  if (after.length !== before.length || after.some((c) => !before.includes(c))) {
    dialog.handle.holdChanged(after);
  }
}

/**
 * The channels on hold: those whose every recorded stream is held. Oracle's spare `a=inactive`
 * lines next to a live stream of the same party do not put it on hold.
 */
export function heldChannels(dialog: Dialog, held: ReadonlySet<number>): Channel[] {
  const allHeld = new Map<Channel, boolean>();
  for (const index of dialog.acceptedIndexes) {
    const label = dialog.offer.streams[index]?.label;
    const channel = label === undefined ? null : dialog.handle.channelForLabel(label);
    if (channel === null) continue;
    allHeld.set(channel, (allHeld.get(channel) ?? true) && held.has(index));
  }
  return (['CALLER', 'AGENT'] as const).filter((c) => allHeld.get(c) === true);
}
