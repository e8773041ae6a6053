import type { AcceptedStream } from '../rtp/media-sessions.js';
import type { Dialog } from './dialogs.js';

/**
 * The answered streams as the RTP layer takes them: those a conference added carry the label of
 * the stream they are mixed into, so an m-line enabled again after a port 0 rejoins its side.
 */
export function withMixInto<T extends AcceptedStream>(dialog: Dialog, accepted: readonly T[]): T[] {
  return accepted.map((stream) => {
    const mixInto = dialog.mixInto?.get(stream.index);
    return mixInto === undefined ? stream : { ...stream, mixInto };
  });
}
