import { open, type FileHandle } from 'node:fs/promises';

/**
 * Reads `metadata_props` (ModelProto field 14) of an ONNX file: the key/value pairs sherpa-onnx
 * itself reads to tell model families apart. Only the top-level protobuf fields are walked and
 * the graph (field 7, hundreds of MB for real models) is skipped by its length, so this costs a
 * few small reads whatever the model's size. Throws on a file that is not ONNX protobuf.
 */
export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const reader = new FileVarintReader(file, size);
    const metadata: Record<string, string> = {};
    let sawGraph = false;
    while (reader.position < size) {
      const tag = await reader.varint();
      const field = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (field === 0) throw new Error('not an ONNX model (field 0)');
      if (wireType === 0) {
        await reader.varint();
      } else if (wireType === 2) {
        const length = await reader.varint();
        if (reader.position + length > size) throw new Error('not an ONNX model (truncated)');
        if (field === 7) sawGraph = true;
        if (field === 14) {
          const [key, value] = parseStringPair(await reader.bytes(length));
          metadata[key] = value;
        } else reader.skip(length);
      } else if (wireType === 1) reader.skip(8);
      else if (wireType === 5) reader.skip(4);
      else throw new Error(`not an ONNX model (wire type ${wireType})`);
    }
    if (!sawGraph) throw new Error('not an ONNX model (no graph)');
    return metadata;
  } finally {
    await file.close();
  }
}

class FileVarintReader {
  position = 0;
  readonly #file: FileHandle;
  readonly #size: number;

  constructor(file: FileHandle, size: number) {
    this.#file = file;
    this.#size = size;
  }

  async varint(): Promise<number> {
    const chunk = await this.bytes(Math.min(10, this.#size - this.position), false);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        this.position += i + 1;
        return value;
      }
    }
    throw new Error('not an ONNX model (bad varint)');
  }

  async bytes(length: number, advance = true): Promise<Uint8Array> {
    const buffer = Buffer.alloc(length);
    await this.#file.read(buffer, 0, length, this.position);
    if (advance) this.position += length;
    return buffer;
  }

  skip(length: number): void {
    this.position += length;
  }
}

/** StringStringEntryProto: key = field 1, value = field 2, both strings. */
function parseStringPair(bytes: Uint8Array): [string, string] {
  const decoder = new TextDecoder();
  const out = ['', ''];
  let i = 0;
  while (i < bytes.length) {
    const tag = bytes[i++] ?? 0;
    let length = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[i++] ?? 0;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    const field = tag >> 3;
    if (field === 1 || field === 2) out[field - 1] = decoder.decode(bytes.subarray(i, i + length));
    i += length;
  }
  return [out[0] ?? '', out[1] ?? ''];
}
