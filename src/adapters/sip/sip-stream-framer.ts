import { AppError } from '../../domain/errors.js';
import {
  declaredContentLength,
  headerSectionEnd,
  leadingLineBreaks,
  parseHeaderLines,
} from './sip-parser.js';

export type Frame = { type: 'message'; data: Buffer } | { type: 'ping' };

/**
 * Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 §18.3). Split and
 * coalesced segments are both fine; CRLF keep-alives between messages are skipped, and a
 * double-CRLF ping (RFC 5626 §3.5.1) is reported so the transport can answer with CRLF.
 * After an error the stream cannot be resynchronised: the caller closes the connection.
 */
export class SipStreamFramer {
  readonly #maxMessageBytes: number;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(options: { maxMessageBytes: number }) {
    this.#maxMessageBytes = options.maxMessageBytes;
  }

  /** Bytes held while waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Feeds bytes; returns the complete frames they finish. Throws SIP_PARSE_ERROR (details.reason). */
  push(chunk: Buffer): Frame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const breaks = leadingLineBreaks(this.#buffer);
      if (breaks > 0) {
        if (breaks >= 4) frames.push({ type: 'ping' });
        this.#buffer = this.#buffer.subarray(breaks);
      }
      if (this.#buffer.length === 0) return frames;
      const headEnd = headerSectionEnd(this.#buffer);
      if (headEnd < 0) {
        if (this.#buffer.length > this.#maxMessageBytes) throw this.#oversize(undefined);
        return frames;
      }
      const head = this.#buffer.subarray(0, headEnd);
      let bodyLength: number;
      try {
        bodyLength =
          declaredContentLength(parseHeaderLines(head.toString('utf8').split(/\r?\n/).slice(1))) ??
          0;
      } catch (cause) {
        throw new AppError('SIP_PARSE_ERROR', 'unreadable header section on a stream', {
          cause,
          details: { reason: 'bad-framing' },
        });
      }
      const total = headEnd + bodyLength;
      if (total > this.#maxMessageBytes) throw this.#oversize(Buffer.from(head));
      if (this.#buffer.length < total) return frames;
      frames.push({ type: 'message', data: Buffer.from(this.#buffer.subarray(0, total)) });
      this.#buffer = this.#buffer.subarray(total);
    }
  }

  #oversize(head: Buffer | undefined): AppError {
    return new AppError('SIP_PARSE_ERROR', 'message exceeds the size limit', {
      details: { reason: 'oversize', head },
    });
  }
}
