/** Canonical RIFF/WAVE layout for 16-bit PCM: the 44-byte header, then the samples. */
export const WAV_HEADER_BYTES = 44;
const BYTES_PER_SAMPLE = 2;
/** RIFF and data sizes of a file still being written: "until the end of the file". */
const SIZE_UNKNOWN = 0xffff_ffff;

export interface WavFormat {
  sampleRateHz: number;
  channels: number;
}

/**
 * The 44-byte header. Without `dataBytes` it is the header of a file still being written: both
 * sizes say "unknown", which players read as "to the end of the file", so even a recording a
 * crash interrupted plays before it is repaired.
 */
export function wavHeader(format: WavFormat & { dataBytes?: number }): Buffer {
  const { sampleRateHz, channels, dataBytes } = format;
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(dataBytes === undefined ? SIZE_UNKNOWN : 36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * channels * BYTES_PER_SAMPLE, 28);
  header.writeUInt16LE(channels * BYTES_PER_SAMPLE, 32);
  header.writeUInt16LE(8 * BYTES_PER_SAMPLE, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes ?? SIZE_UNKNOWN, 40);
  return header;
}

/** Bytes of one sample frame (all channels). */
export function blockAlign(format: WavFormat): number {
  return format.channels * BYTES_PER_SAMPLE;
}

/**
 * The format of a header this recorder wrote, or undefined when `header` is not one (another
 * program's file, or a file cut short before its header was complete).
 */
export function readWavFormat(header: Buffer): WavFormat | undefined {
  if (header.length < WAV_HEADER_BYTES) return undefined;
  if (header.toString('ascii', 0, 4) !== 'RIFF' || header.toString('ascii', 8, 12) !== 'WAVE')
    return undefined;
  if (header.toString('ascii', 12, 16) !== 'fmt ' || header.toString('ascii', 36, 40) !== 'data')
    return undefined;
  const channels = header.readUInt16LE(22);
  const sampleRateHz = header.readUInt32LE(24);
  const bitsPerSample = header.readUInt16LE(34);
  if (header.readUInt16LE(20) !== 1 || bitsPerSample !== 16) return undefined;
  if (channels < 1 || sampleRateHz < 1) return undefined;
  return { sampleRateHz, channels };
}
