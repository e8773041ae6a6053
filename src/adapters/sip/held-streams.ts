import type { Dialog } from './dialogs.js';

/**
 * Makes the recorded streams' hold state what the latest SDP says: a held stream stops its media
 * timeout and a resumed one restarts it; the change is logged once.
 */
export function applyHeld(dialog: Dialog, held: Set<number>): void {
  for (const index of dialog.acceptedIndexes) {
    const nowHeld = held.has(index);
    if (nowHeld !== dialog.heldIndexes.has(index)) dialog.media.setInactive(index, nowHeld);
  }
  if (held.size !== dialog.heldIndexes.size || [...held].some((i) => !dialog.heldIndexes.has(i))) {
    dialog.log.info({ heldIndexes: [...held] }, 'recording streams held or resumed');
  }
  dialog.heldIndexes = held;
}
