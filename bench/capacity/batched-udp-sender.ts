import koffi from 'koffi';
import { isIP } from 'node:net';
import { arch, platform } from 'node:os';

// Linux's 64-bit layouts (x86-64 and arm64 alike): sockaddr_in, iovec, and mmsghdr (a msghdr
// with its msg_len, padded to 8 bytes).
const SOCKADDR_BYTES = 16;
const IOVEC_BYTES = 16;
const MMSGHDR_BYTES = 64;
/** The largest datagram a slot holds: an RTP header and 20 ms of G.711 is 172 bytes. */
const SLOT_BYTES = 512;
const AF_INET = 2;
const SOCK_DGRAM = 2;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendmmsg(fd: number, messages: Buffer, count: number, flags: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;
function loadLibc(): Libc {
  libc ??= (() => {
    const lib = koffi.load('libc.so.6');
    return {
      socket: lib.func('int socket(int, int, int)') as Libc['socket'],
      sendmmsg: lib.func('int sendmmsg(int, void *, unsigned int, int)') as Libc['sendmmsg'],
      close: lib.func('int close(int)') as Libc['close'],
    };
  })();
  return libc;
}

/** Where `BatchedUdpSender` works: it calls Linux's sendmmsg(2) with 64-bit struct layouts. */
export function batchedSendSupported(): boolean {
  return platform() === 'linux' && (arch() === 'x64' || arch() === 'arm64');
}

/**
 * Sends many datagrams with one system call: packets are queued (copied into a preset arena
 * of mmsghdr, iovec and address slots) and `flush` hands them all to sendmmsg(2). A load
 * generator's own cost per packet is then the kernel's loopback path, not one Node.js send
 * (a send request, a libuv write, a callback) per packet, so more of a shared box is left to
 * the server being measured. Every packet leaves from one unbound socket (an ephemeral port);
 * the recorder latches each of its streams to whatever source sends to it first.
 */
export class BatchedUdpSender {
  readonly #libc = loadLibc();
  readonly #fd: number;
  #capacity = 0;
  #queued = 0;
  #headers = Buffer.alloc(0);
  #addresses = Buffer.alloc(0);
  #vectors = Buffer.alloc(0);
  #data = Buffer.alloc(0);
  readonly #host: Buffer;
  /** Packets the kernel refused (sendmmsg failed outright): counted, as a sender would lose them. */
  failed = 0;

  /** Every datagram goes to `host` (an IPv4 address: the recorder), each to its stream's port. */
  constructor(host: string, initialCapacity = 1024) {
    if (!batchedSendSupported()) throw new Error('batched UDP sends need Linux on x86-64 or arm64');
    if (isIP(host) !== 4) throw new Error(`not an IPv4 address: ${host}`);
    this.#host = Buffer.from(host.split('.').map(Number));
    this.#fd = this.#libc.socket(AF_INET, SOCK_DGRAM, 0);
    if (this.#fd < 0) throw new Error(`socket(2) failed: errno ${koffi.errno()}`);
    this.#grow(initialCapacity);
  }

  /** Queues one datagram to `port`; sent at the next `flush`. */
  queue(packet: Uint8Array, port: number): void {
    if (packet.length > SLOT_BYTES) throw new Error(`datagram of ${packet.length} bytes`);
    if (this.#queued === this.#capacity) this.#grow(this.#capacity * 2);
    const slot = this.#queued++;
    const address = slot * SOCKADDR_BYTES;
    this.#addresses.writeUInt16BE(port, address + 2);
    this.#data.set(packet, slot * SLOT_BYTES);
    // iov_len's low half: its high half stays 0 (a slot holds at most SLOT_BYTES), and no
    // BigInt is made per packet.
    this.#vectors.writeUInt32LE(packet.length, slot * IOVEC_BYTES + 8);
  }

  /** Sends everything queued; returns how many datagrams the kernel took. */
  flush(): number {
    let sent = 0;
    let lost = 0;
    while (sent < this.#queued) {
      const view = this.#headers.subarray(sent * MMSGHDR_BYTES);
      const count = this.#libc.sendmmsg(this.#fd, view, this.#queued - sent, 0);
      if (count <= 0) {
        // An error on the first message of a batch (a full socket buffer, an unreachable
        // port): that one is lost, the rest are tried.
        lost++;
        sent++;
        continue;
      }
      sent += count;
    }
    this.failed += lost;
    const taken = this.#queued - lost;
    this.#queued = 0;
    return taken;
  }

  close(): void {
    this.#libc.close(this.#fd);
  }

  #grow(capacity: number): void {
    const headers = Buffer.alloc(capacity * MMSGHDR_BYTES);
    const addresses = Buffer.alloc(capacity * SOCKADDR_BYTES);
    const vectors = Buffer.alloc(capacity * IOVEC_BYTES);
    const data = Buffer.alloc(capacity * SLOT_BYTES);
    // What is queued moves with the arena: the copies keep their slots.
    this.#addresses.copy(addresses);
    this.#vectors.copy(vectors);
    this.#data.copy(data);
    const addressBase = koffi.address(addresses) as bigint;
    const vectorBase = koffi.address(vectors) as bigint;
    const dataBase = koffi.address(data) as bigint;
    for (let slot = 0; slot < capacity; slot++) {
      addresses.writeUInt16LE(AF_INET, slot * SOCKADDR_BYTES);
      this.#host.copy(addresses, slot * SOCKADDR_BYTES + 4);
      vectors.writeBigUInt64LE(dataBase + BigInt(slot * SLOT_BYTES), slot * IOVEC_BYTES);
      const header = slot * MMSGHDR_BYTES;
      headers.writeBigUInt64LE(addressBase + BigInt(slot * SOCKADDR_BYTES), header);
      headers.writeUInt32LE(SOCKADDR_BYTES, header + 8);
      headers.writeBigUInt64LE(vectorBase + BigInt(slot * IOVEC_BYTES), header + 16);
      headers.writeBigUInt64LE(1n, header + 24);
    }
    this.#headers = headers;
    this.#addresses = addresses;
    this.#vectors = vectors;
    this.#data = data;
    this.#capacity = capacity;
  }
}
