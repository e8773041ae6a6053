import { AppError } from '../../domain/errors.js';
import { parseSiprecOffer, type SiprecOffer } from './siprec-offer.js';

/**
 * The SRC's SDP answer to callscribe's offer (carried by the ACK), read as a description of
 * what it will send: the same shape as an offer, so the answer code picks the codecs to decode.
 * Fails with SDP_ANSWER_MISSING (no body) or SDP_ANSWER_UNUSABLE (unreadable, or not one m-line
 * per offered line, RFC 3264 §6).
 */
export function readRemoteAnswer(
  contentTypeHeader: string | undefined,
  body: Buffer,
  offeredLines: number,
): SiprecOffer {
  const text = body.toString('utf8');
  if (text.trim() === '') {
    throw new AppError('SDP_ANSWER_MISSING', 'the ACK carries no SDP answer');
  }
  // A body without Content-Type that reads as SDP is taken as SDP: the answer is what matters.
  const contentType =
    contentTypeHeader ?? (text.trimStart().startsWith('v=') ? 'application/sdp' : '');
  let answer: SiprecOffer;
  try {
    answer = parseSiprecOffer(contentType, text);
  } catch (cause) {
    throw new AppError('SDP_ANSWER_UNUSABLE', 'the SDP answer could not be read', { cause });
  }
  if (answer.streams.length !== offeredLines) {
    throw new AppError(
      'SDP_ANSWER_UNUSABLE',
      `the SDP answer has ${answer.streams.length} m-lines for ${offeredLines} offered`,
    );
  }
  return answer;
}
