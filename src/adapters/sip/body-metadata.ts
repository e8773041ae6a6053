import { parseContentType } from '../siprec/content-type.js';
import { splitMultipart } from '../siprec/multipart.js';
import { parseRecordingMetadata, type RecordingMetadata } from '../siprec/rs-metadata.js';

const metadataTypes: ReadonlySet<string> = new Set([
  'application/rs-metadata+xml',
  'application/rs-metadata',
]);

export function isMetadataType(contentType: string | undefined): boolean {
  return contentType !== undefined && metadataTypes.has(parseContentType(contentType).mediaType);
}

/**
 * The rs-metadata carried by an in-dialog body (BYE from CUBE, UPDATE from Avaya SBCE, INFO
 * from OpenSIPS), alone or in a multipart. Null when there is none or the body is unreadable:
 * metadata updates are best effort and never fail the request.
 */
export function metadataFromBody(
  contentType: string | undefined,
  body: Buffer,
): RecordingMetadata | null {
  if (contentType === undefined || body.length === 0) return null;
  try {
    const text = body.toString('utf8');
    const { mediaType } = parseContentType(contentType);
    if (metadataTypes.has(mediaType)) return parseRecordingMetadata(text);
    if (!mediaType.startsWith('multipart/')) return null;
    const part = splitMultipart(contentType, text).find((p) => metadataTypes.has(p.contentType));
    return part === undefined ? null : parseRecordingMetadata(part.body);
  } catch {
    return null;
  }
}
