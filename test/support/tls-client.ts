import { request } from 'node:https';
import { connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';

/** A TLS connection attempt: the certificate the server showed, or the error it ended with. */
export async function tlsHandshake(
  options: ConnectionOptions,
): Promise<{ ok: true; socket: TLSSocket; peer: PeerCertificate } | { ok: false; code: string }> {
  return new Promise((resolve) => {
    const socket = connect(options);
    socket.once('secureConnect', () =>
      resolve({ ok: true, socket, peer: socket.getPeerCertificate() }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, code: error.code ?? error.message }),
    );
  });
}

/** GET over HTTPS trusting `ca`; resolves status, body and the served certificate's fingerprint. */
export function httpsGet(
  url: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, agent: false }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint256 = socket.getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          fingerprint256,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
