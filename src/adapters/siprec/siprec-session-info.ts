import type { CallSiprecInfo } from '../../domain/call.js';
import type { RecordingMetadata } from './rs-metadata.js';
import { ucidFromUserToUser } from './user-to-user.js';

/** INVITE headers kept with the call because operators correlate recordings with them. */
const keptHeaders = [
  'Session-ID',
  'Cisco-Guid',
  'Cisco-Gucid',
  'User-to-User',
  'X-Genesys-CallUUID',
] as const;

/**
 * What the call record keeps about its SIPREC session: the dialect, participants with their
 * send labels, and extension data from metadata and INVITE headers. `ucid` comes from the
 * metadata (e.g. `apkt:ucid`) or else from an Avaya User-to-User header. Header lookup is
 * case-insensitive; `headers` may be keyed in any case.
 */
export function sessionInfoFrom(
  metadata: RecordingMetadata | null,
  headers: Readonly<Record<string, string>>,
): CallSiprecInfo {
  const header = (name: string): string | null => {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === wanted) return value.trim();
    }
    return null;
  };
  const extensions: Record<string, string> = { ...(metadata?.extensions ?? {}) };
  for (const name of keptHeaders) {
    const value = header(name);
    if (value !== null && value !== '' && !Object.hasOwn(extensions, name))
      extensions[name] = value;
  }
  const userToUser = header('User-to-User');
  const uuiUcid = userToUser === null ? null : ucidFromUserToUser(userToUser);
  if (uuiUcid !== null) {
    extensions['uui:ucid'] = uuiUcid;
    if (!Object.hasOwn(extensions, 'ucid')) extensions['ucid'] = uuiUcid;
  }
  if (metadata?.sipSessionId != null && !Object.hasOwn(extensions, 'sipSessionID')) {
    extensions['sipSessionID'] = metadata.sipSessionId;
  }
  const labelById = new Map((metadata?.streams ?? []).map((s) => [s.streamId, s.label]));
  return {
    dialect: metadata === null ? 'none' : metadata.dialect,
    participants: (metadata?.participants ?? []).map((p) => ({
      participantId: p.participantId,
      aor: p.aor,
      name: p.name,
      sendLabels: p.sendStreamIds
        .map((id) => labelById.get(id))
        .filter((l): l is string => l !== undefined && l !== ''),
    })),
    extensions,
    userAgent: header('User-Agent'),
  };
}
