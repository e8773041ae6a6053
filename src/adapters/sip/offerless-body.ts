import { parseContentType } from '../siprec/content-type.js';
import { splitMultipart } from '../siprec/multipart.js';
import { parseRecordingMetadata, type RecordingMetadata } from '../siprec/rs-metadata.js';
import { isMetadataType } from './body-metadata.js';
import { headerValue, type SipRequest } from './sip-message.js';

/**
 * An INVITE body that carries no SDP offer (delayed offer): nothing at all, or SIPREC metadata
 * alone (plain, or the only recognised part of a multipart). Null when there is SDP to answer,
 * or a body that is neither (that one is refused as before, 415).
 */
export function offerlessBody(
  request: SipRequest,
): { metadataXml: string | null; metadata: RecordingMetadata | null } | null {
  const text = request.body.toString('utf8');
  if (text.trim() === '') return { metadataXml: null, metadata: null };
  const contentType = headerValue(request, 'content-type');
  if (contentType === undefined) return null;
  let metadataXml: string | undefined;
  try {
    if (isMetadataType(contentType)) metadataXml = text;
    else if (parseContentType(contentType).mediaType.startsWith('multipart/')) {
      const parts = splitMultipart(contentType, text);
      if (parts.some((p) => p.contentType === 'application/sdp')) return null;
      metadataXml = parts.find((p) => isMetadataType(p.contentType))?.body;
    }
  } catch {
    return null;
  }
  if (metadataXml === undefined) return null;
  let metadata: RecordingMetadata | null = null;
  try {
    metadata = parseRecordingMetadata(metadataXml);
  } catch {
    // Unreadable metadata names no streams: the offer then has one m-line, like a plain INVITE.
  }
  return { metadataXml, metadata };
}
