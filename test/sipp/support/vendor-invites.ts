import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const fixtureDir = fileURLToPath(new URL('../../fixtures/siprec/', import.meta.url));

export interface VendorInvite {
  name: string;
  /** The INVITE as it would be on the wire: CRLF header section, body as published. */
  bytes: Buffer;
  /** Repairs applied to a published copy that could not have been sent as is. */
  repairs: string[];
}

/**
 * The fixtures that hold a complete INVITE (01 Oracle, 10 AudioCodes, 11 Cisco CUBE, 14 Webex
 * sipp template). 07 is a body only and 15 is elided with "...", so they are not requests.
 */
export const vendorInviteNames = [
  '01-oracle-acme-sbc-genesys-4streams-invite.txt',
  '10-audiocodes-mediant-7.20A-invite.txt',
  '11-cisco-cube-ios16.10-invite-and-bye.txt',
  '14-cisco-webex-calling-broadworks-invite.txt',
] as const;

const sippValues: Record<string, string> = {
  remote_ip: '127.0.0.1',
  remote_port: '5060',
  transport: 'TCP',
  local_ip: '127.0.0.1',
  local_port: '5070',
  branch: 'z9hG4bK-webex-1',
  pid: '4242',
  call_number: '1',
  call_id: 'webex-call-1@127.0.0.1',
  media_port: '6000',
};

function verbatimSection(text: string): string {
  const start = text.search(/^----- BEGIN VERBATIM.*-----$/m);
  const afterMarker = text.indexOf('\n', start) + 1;
  const next = text.slice(afterMarker).search(/^----- BEGIN VERBATIM/m);
  return next < 0 ? text.slice(afterMarker) : text.slice(afterMarker, afterMarker + next);
}

/** Splits at the first blank line (CRLF or LF); the body keeps its bytes. */
function splitHead(text: string): { head: string[]; body: string } {
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return { head: text.split(/\r?\n/), body: '' };
  return {
    head: text.slice(0, match.index).split(/\r?\n/),
    body: text.slice(match.index + match[0].length),
  };
}

function withContentLength(head: string[], body: Buffer): Buffer {
  const lines = head.map((line) =>
    /^content-length\s*:/i.test(line) ? `Content-Length: ${body.length}` : line,
  );
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]);
}

export function loadVendorInvite(name: (typeof vendorInviteNames)[number]): VendorInvite {
  const text = verbatimSection(readFileSync(fixtureDir + name, 'utf8'));
  const repairs: string[] = [];
  if (name.startsWith('10-')) {
    // Published byte-exact: CRLF headers, body length equals the declared 1986.
    return { name, bytes: Buffer.from(text.replace(/\n$/, ''), 'utf8'), repairs };
  }
  if (name.startsWith('01-')) {
    repairs.push('bare-LF repository copy turned back into CRLF; Content-Length recomputed');
    const { head, body } = splitHead(text);
    return {
      name,
      bytes: withContentLength(head, Buffer.from(body.replace(/\r?\n/g, '\r\n'))),
      repairs,
    };
  }
  if (name.startsWith('11-')) {
    repairs.push(
      'doc rendering undone: Allow continuation re-indented, blank lines restored after the header section and the part headers, body indentation removed, Content-Length recomputed',
    );
    const lines = text.replace(/\n$/, '').split(/\r?\n/);
    const bodyStart = lines.findIndex((line) => line.startsWith('--uniqueBoundary'));
    const head = lines
      .slice(0, bodyStart)
      .map((line) => (line === 'REGISTER' ? ' REGISTER' : line));
    const bodyLines: string[] = [];
    let inPartHeaders = false;
    for (const raw of lines.slice(bodyStart)) {
      const line = raw.trimStart();
      if (line.startsWith('--uniqueBoundary')) inPartHeaders = true;
      else if (inPartHeaders && !/^Content-[A-Za-z]+:/.test(line)) {
        bodyLines.push('');
        inPartHeaders = false;
      }
      bodyLines.push(line);
    }
    const body = bodyLines.join('\r\n') + '\r\n';
    return { name, bytes: withContentLength(head, Buffer.from(body)), repairs };
  }
  repairs.push('sipp template: indentation removed, keywords substituted, [len] computed');
  const unindented = text
    .split(/\r?\n/)
    .map((line) => line.replace(/^ {4}/, ''))
    .join('\n')
    .replace(/\[(\w+)\]/g, (whole, key: string) => sippValues[key] ?? whole);
  const { head, body } = splitHead(unindented.trimEnd() + '\n');
  return {
    name,
    bytes: withContentLength(head, Buffer.from(body.replace(/\n/g, '\r\n'))),
    repairs,
  };
}
