import type { SipHeader } from './sip-message.js';

export const ALLOWED_METHODS = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'UPDATE',
  'INFO',
] as const;

/** Option tags the recorder accepts in `Require:`; anything else is answered 420. */
export const SUPPORTED_OPTION_TAGS: ReadonlySet<string> = new Set(['siprec', 'timer']);

/** Methods that exist but a recorder has no use for: 405 with Allow rather than 501. */
export const KNOWN_UNSUPPORTED_METHODS: ReadonlySet<string> = new Set([
  'REGISTER',
  'SUBSCRIBE',
  'NOTIFY',
  'REFER',
  'MESSAGE',
  'PUBLISH',
  'PRACK',
]);

export function capabilityHeaders(): SipHeader[] {
  return [
    { name: 'Allow', value: ALLOWED_METHODS.join(', ') },
    {
      name: 'Accept',
      value:
        'application/sdp, multipart/mixed, application/rs-metadata+xml, application/rs-metadata',
    },
    { name: 'Supported', value: [...SUPPORTED_OPTION_TAGS].join(', ') },
  ];
}
