import { Counter, Gauge, type Registry } from 'prom-client';

/** TLS listeners (`http`, `sip`): handshakes that failed, certificate reloads, expiry. */
export function createTlsMetrics(registry: Registry) {
  return {
    tlsHandshakeFailures: new Counter({
      name: 'callscribe_tls_handshake_failures_total',
      help: 'TLS connections closed before any message was read, by listener and reason',
      labelNames: ['listener', 'reason'] as const,
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: 'callscribe_tls_reloads_total',
      help: 'Certificate reloads by listener, trigger (start, signal, file-change) and result',
      labelNames: ['listener', 'trigger', 'result'] as const,
      registers: [registry],
    }),
    tlsCertificateExpiry: new Gauge({
      name: 'callscribe_tls_certificate_expiry_seconds',
      help: 'Unix time at which the certificate a listener serves expires',
      labelNames: ['listener'] as const,
      registers: [registry],
    }),
  };
}

export type TlsMetrics = ReturnType<typeof createTlsMetrics>;
