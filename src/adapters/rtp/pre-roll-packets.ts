/**
 * The last `maxMs` of a parked stream, kept as the datagrams themselves: nothing is decoded
 * until START actually asks for the pre-roll, so a parked call costs no codec work whatever its
 * codec. Fixed capacity from the start, so a long parked call never grows it.
 */
export class PreRollPackets {
  readonly #maxMs: number;
  readonly #packets: (Buffer | undefined)[];
  readonly #timestamps: Uint32Array;
  readonly #clockRatesHz: Uint32Array;
  #oldest = 0;
  #count = 0;

  /** `minPacketMs`: the shortest packet time expected, which sizes the ring. */
  constructor(maxMs: number, minPacketMs = 10) {
    this.#maxMs = maxMs;
    const capacity = Math.max(2, Math.ceil(maxMs / minPacketMs) + 2);
    this.#packets = new Array<Buffer | undefined>(capacity);
    this.#timestamps = new Uint32Array(capacity);
    this.#clockRatesHz = new Uint32Array(capacity);
  }

  get length(): number {
    return this.#count;
  }

  keep(packet: Buffer, timestamp: number, clockRateHz: number): void {
    const capacity = this.#packets.length;
    if (this.#count === capacity) this.#dropOldest();
    const at = (this.#oldest + this.#count) % capacity;
    this.#packets[at] = packet;
    this.#timestamps[at] = timestamp;
    this.#clockRatesHz[at] = clockRateHz;
    this.#count++;
    while (this.#count > 1 && this.#tooOld(at)) this.#dropOldest();
  }

  /** Oldest first; empties the ring. */
  drain(): Buffer[] {
    const out: Buffer[] = [];
    const capacity = this.#packets.length;
    for (let i = 0; i < this.#count; i++) {
      const at = (this.#oldest + i) % capacity;
      const packet = this.#packets[at];
      if (packet !== undefined) out.push(packet);
      this.#packets[at] = undefined;
    }
    this.#oldest = 0;
    this.#count = 0;
    return out;
  }

  #tooOld(newest: number): boolean {
    const oldest = this.#oldest;
    const clock = this.#clockRatesHz[newest]!;
    // Another clock (codec switch) or a timestamp jump backwards: the span is unknown, drop.
    if (this.#clockRatesHz[oldest] !== clock) return true;
    const ticks = (this.#timestamps[newest]! - this.#timestamps[oldest]!) | 0;
    // The newest packet's own length is not known; counting the span up to its start as
    // `maxMs` keeps exactly `maxMs` of audio for evenly spaced packets.
    return ticks < 0 || (ticks * 1000) / clock >= this.#maxMs;
  }

  #dropOldest(): void {
    this.#packets[this.#oldest] = undefined;
    this.#oldest = (this.#oldest + 1) % this.#packets.length;
    this.#count--;
  }
}
