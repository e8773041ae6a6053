import { readFileSync } from 'node:fs';

export interface WavSummary {
  sampleRateHz: number;
  channels: number;
  dataBytes: number;
  durationMs: number;
}

/**
 * Checks a file is a complete canonical 16-bit PCM WAV — sizes in the header agree with the
 * file's length, whole sample frames only — and summarises it; throws saying what is wrong.
 */
export function checkWav(path: string): WavSummary {
  const file = readFileSync(path);
  const fail = (why: string): never => {
    throw new Error(`${path} is not a valid WAV: ${why}`);
  };
  if (file.length < 44) fail(`only ${file.length} bytes`);
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE')
    fail('no RIFF/WAVE');
  if (file.readUInt32LE(4) !== file.length - 8)
    fail(`RIFF size ${file.readUInt32LE(4)} for a file of ${file.length} bytes`);
  if (file.toString('ascii', 12, 16) !== 'fmt ' || file.readUInt16LE(20) !== 1) fail('not PCM');
  const channels = file.readUInt16LE(22);
  const sampleRateHz = file.readUInt32LE(24);
  const align = file.readUInt16LE(32);
  if (file.readUInt16LE(34) !== 16 || align !== channels * 2) fail('not 16-bit');
  if (file.readUInt32LE(28) !== sampleRateHz * align) fail('byte rate does not match');
  if (file.toString('ascii', 36, 40) !== 'data') fail('no data chunk');
  const dataBytes = file.readUInt32LE(40);
  if (dataBytes !== file.length - 44) fail(`data size ${dataBytes}, ${file.length - 44} on disk`);
  if (dataBytes % align !== 0) fail('a partial sample frame at the end');
  return {
    sampleRateHz,
    channels,
    dataBytes,
    durationMs: (dataBytes / align / sampleRateHz) * 1000,
  };
}
