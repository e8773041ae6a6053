import { open, rename, unlink } from 'node:fs/promises';
import { blockAlign, readWavFormat, WAV_HEADER_BYTES, wavHeader } from './wav-header.js';

export type RepairResult =
  | { kind: 'repaired'; path: string; dataBytes: number; sampleRateHz: number }
  | { kind: 'empty' }
  | { kind: 'unreadable' };

/**
 * Finalises a `<name>.wav.part` a crash left behind: the sizes in its header are rewritten from
 * the file's length (the format — channels, sample rate — is read from the header itself), a
 * partial sample frame at the end is trimmed, and the file is synced and renamed to `<name>.wav`.
 * A file without a single whole frame is deleted; one whose header is not a WAV header is left.
 */
export async function repairPartFile(partPath: string): Promise<RepairResult> {
  const handle = await open(partPath, 'r+');
  let dataBytes = 0;
  let sampleRateHz = 0;
  try {
    const header = Buffer.alloc(WAV_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    const format = bytesRead === WAV_HEADER_BYTES ? readWavFormat(header) : undefined;
    const size = (await handle.stat()).size;
    if (!format) {
      if (size >= WAV_HEADER_BYTES) return { kind: 'unreadable' };
    } else {
      const frame = blockAlign(format);
      dataBytes = Math.max(0, size - WAV_HEADER_BYTES);
      dataBytes -= dataBytes % frame;
      sampleRateHz = format.sampleRateHz;
      if (dataBytes > 0) {
        await handle.truncate(WAV_HEADER_BYTES + dataBytes);
        await handle.write(wavHeader({ ...format, dataBytes }), 0, WAV_HEADER_BYTES, 0);
        await handle.datasync();
      }
    }
  } finally {
    await handle.close();
  }
  if (dataBytes === 0) {
    // Created, but the crash came before any audio (or even the whole header) was written.
    await unlink(partPath);
    return { kind: 'empty' };
  }
  const path = partPath.slice(0, -'.part'.length);
  await rename(partPath, path);
  return { kind: 'repaired', path, dataBytes, sampleRateHz };
}
