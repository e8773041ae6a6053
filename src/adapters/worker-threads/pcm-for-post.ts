/**
 * PCM to post to another thread, and the buffer to transfer with it. Structured cloning a view
 * copies its whole underlying ArrayBuffer, and decoders hand out views of larger slabs, so a
 * view is first copied to a buffer of its own size, which is then moved, not cloned again.
 */
export function pcmForPost(pcm: Int16Array): { pcm: Int16Array; transfer: ArrayBuffer[] } {
  const own = pcm.slice();
  return { pcm: own, transfer: [own.buffer] };
}
