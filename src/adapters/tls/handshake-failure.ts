/**
 * Why a TLS connection was closed before any message was read, as a bounded metric label.
 * The codes are OpenSSL's as Node reports them on `tlsClientError`.
 */
export type HandshakeFailureReason =
  | 'not-tls'
  | 'protocol-version'
  | 'no-shared-cipher'
  | 'timeout'
  | 'reset'
  | 'peer-alert'
  | 'handshake-error';

const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LENGTH_MISMATCH',
]);
const PROTOCOL_VERSION = new Set([
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_VERSION_TOO_LOW',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
]);

export function handshakeFailureReason(error: {
  code?: string | undefined;
}): HandshakeFailureReason {
  const code = error.code ?? '';
  if (NOT_TLS.has(code)) return 'not-tls';
  if (PROTOCOL_VERSION.has(code)) return 'protocol-version';
  if (code === 'ERR_SSL_NO_SHARED_CIPHER') return 'no-shared-cipher';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  // The client refused us (for example our certificate): it says so with an alert.
  if (/^ERR_SSL_(SSLV3|TLSV1)_ALERT_/.test(code)) return 'peer-alert';
  return 'handshake-error';
}

/** Why a client certificate was not accepted (mutual TLS), as a bounded metric label. */
export type CertificateFailureReason =
  | 'no-certificate'
  | 'cert-expired'
  | 'cert-not-yet-valid'
  | 'cert-revoked'
  | 'cert-untrusted'
  | 'peer-not-allowed';

export function certificateFailureReason(
  authorizationError: Error | string | null | undefined,
): CertificateFailureReason {
  const code =
    typeof authorizationError === 'string'
      ? authorizationError
      : ((authorizationError as { code?: string } | null | undefined)?.code ??
        authorizationError?.message ??
        '');
  if (code === 'CERT_HAS_EXPIRED') return 'cert-expired';
  if (code === 'CERT_NOT_YET_VALID') return 'cert-not-yet-valid';
  if (code === 'CERT_REVOKED') return 'cert-revoked';
  return 'cert-untrusted';
}
