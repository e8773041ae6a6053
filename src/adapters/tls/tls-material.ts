import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';

/** Where a listener's certificate lives; `caFile` only when it verifies client certificates. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string | undefined;
}

/** The PEM contents of a listener's files, checked to belong together. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** The served (leaf) certificate's expiry, ms since the epoch. */
  notAfterMs: number;
  fingerprint256: string;
}

/** TLS 1.0 and 1.1 are broken and refused everywhere; 1.2 is what SBCs commonly offer. */
export const TLS_PROTOCOL_RANGE = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } as const;

/**
 * Reads and checks the files: the key must match the certificate, which is what
 * createSecureContext verifies. A failure names the file; nothing is half-applied.
 */
export async function readTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  // Every read is awaited before a failure is reported, and failures are named in this order:
  // Promise.all would report whichever read failed first, which varies when several do.
  const failures: (string | undefined)[] = [];
  let firstCause: unknown;
  const read = async (index: number, path: string, what: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(path);
    } catch (cause) {
      failures[index] = `cannot read the ${what} ${path}: ${(cause as Error).message}`;
      firstCause ??= cause;
      return undefined;
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(0, files.certFile, 'TLS certificate'),
    read(1, files.keyFile, 'TLS private key'),
    files.caFile === undefined ? undefined : read(2, files.caFile, 'TLS CA bundle'),
  ]);
  if (cert === undefined || key === undefined || failures.length > 0) {
    throw new AppError('CONFIG_INVALID', failures.filter((f) => f !== undefined).join('; '), {
      cause: firstCause,
    });
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
    createSecureContext({ cert, key, ...(ca === undefined ? {} : { ca }) });
  } catch (cause) {
    throw new AppError(
      'CONFIG_INVALID',
      `the TLS certificate ${files.certFile} and key ${files.keyFile} are not a usable pair: ${(cause as Error).message}`,
      { cause },
    );
  }
  return {
    cert,
    key,
    ...(ca === undefined ? {} : { ca }),
    notAfterMs: Date.parse(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
  };
}

/** The options a tls/https server is (re)configured with. */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    ...TLS_PROTOCOL_RANGE,
  };
}
