/**
 * Avaya UCID carried in a hex User-to-User header (`04FA08<8 bytes>...;encoding=hex`): protocol
 * discriminator 04, then tag/length/value items. Tag FA holds the UCID as 2-byte node, 2-byte
 * sequence and 4-byte timestamp, conventionally shown as 5+5+10 decimal digits; tag C8 (Cisco,
 * Genesys) may carry the same id as ASCII. Returns null when the header holds no UCID.
 */
export function ucidFromUserToUser(header: string): string | null {
  const [value = '', ...params] = header.split(';');
  const encoding = params
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('encoding='))
    ?.slice('encoding='.length);
  const hex = value.trim();
  if ((encoding !== undefined && encoding !== 'hex') || !/^([0-9a-fA-F]{2})+$/.test(hex))
    return null;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes[0] !== 0x04) return null;
  let pos = 1;
  let ascii: string | null = null;
  while (pos + 2 <= bytes.length) {
    const tag = bytes[pos] ?? 0;
    const length = bytes[pos + 1] ?? 0;
    const item = bytes.subarray(pos + 2, pos + 2 + length);
    if (item.length !== length) break;
    if (tag === 0xfa && length === 8) {
      const node = item.readUInt16BE(0);
      const sequence = item.readUInt16BE(2);
      const timestamp = item.readUInt32BE(4);
      return `${pad(node, 5)}${pad(sequence, 5)}${pad(timestamp, 10)}`;
    }
    if (tag === 0xc8 && /^[\x20-\x7e]+$/.test(item.toString('latin1')))
      ascii = item.toString('latin1');
    pos += 2 + length;
  }
  return ascii;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
