import { write, type MediaDescription } from 'sdp-transform';

export interface SdpSessionOrigin {
  /** Our c=/o= address; an IPv6 literal makes the session IP6. */
  address: string;
  sessionId: string;
  sessionVersion: number;
}

/** Writes callscribe's side of an offer/answer exchange: the session lines are the same for both. */
export function writeSdpSession(origin: SdpSessionOrigin, media: MediaDescription[]): string {
  const ipVersion = origin.address.includes(':') ? 6 : 4;
  return write({
    version: 0,
    origin: {
      username: 'callscribe',
      sessionId: origin.sessionId,
      sessionVersion: origin.sessionVersion,
      netType: 'IN',
      ipVer: ipVersion,
      address: origin.address,
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    connection: { version: ipVersion, ip: origin.address },
    media,
  });
}
