import type { RecordingMetadata } from '../siprec/rs-metadata.js';
import { headerValue, type SipRequest } from './sip-message.js';

/**
 * The callId per `callIdSource`: `call-id`, `header:<Name>`, `cisco-guid`, or
 * `metadata:sessionId|sipSessionId|ucid|extension:<key>`. Whatever is configured, an absent or
 * empty value falls back to the INVITE's Call-ID so every call still gets an id.
 */
export function chooseCallId(
  source: string,
  invite: SipRequest,
  sipCallId: string,
  found: { metadata: RecordingMetadata | null; extensions: Readonly<Record<string, string>> },
): { callId: string; from: string } {
  const picked = pick(source, invite, found.metadata, found.extensions);
  const value = picked?.trim();
  return value === undefined || value === ''
    ? { callId: sipCallId, from: 'call-id' }
    : { callId: value, from: source };
}

function pick(
  source: string,
  invite: SipRequest,
  metadata: RecordingMetadata | null,
  extensions: Readonly<Record<string, string>>,
): string | undefined | null {
  if (source.startsWith('header:')) return headerValue(invite, source.slice('header:'.length));
  // A CUCM Built-in-Bridge INVITE's own Cisco-Guid differs per dialog; the GUID of the recorded
  // call (as the gateway and UCCE know it) is in the From URI's x-farendguid / x-nearendguid.
  if (source === 'cisco-guid')
    return (
      nonEmpty(extensions['x-farendguid']) ??
      nonEmpty(extensions['x-nearendguid']) ??
      headerValue(invite, 'Cisco-Guid')
    );
  if (!source.startsWith('metadata:')) return undefined;
  const field = source.slice('metadata:'.length);
  if (field === 'sessionId') return metadata?.sessionId;
  if (field === 'sipSessionId') return metadata?.sipSessionId;
  // Avaya puts the UCID in metadata or only in User-to-User; the session info has both.
  if (field === 'ucid')
    return metadata?.extensions['ucid'] ?? extensions['ucid'] ?? extensions['uui:ucid'];
  if (field.startsWith('extension:')) {
    const key = field.slice('extension:'.length);
    return metadata?.extensions[key] ?? extensions[key];
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
