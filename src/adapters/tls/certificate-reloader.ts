import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { Logger } from 'pino';
import type { TlsMetrics } from '../../observability/tls-metrics.js';
import { readTlsMaterial, type TlsFiles, type TlsMaterial } from './tls-material.js';

export type ReloadTrigger = 'start' | 'signal' | 'file-change';

/**
 * Keeps a listener's certificate current: loaded at start, again on SIGHUP (`reload`) and when
 * a file changes. A new pair that does not load (say, the certificate was replaced before its
 * key) is logged and the listener keeps serving the old one; the next change tries again.
 * Applying a new context only affects new handshakes, so live connections and calls stay up.
 */
export class CertificateReloader {
  readonly #listener: string;
  readonly #files: TlsFiles;
  readonly #checkIntervalMs: number;
  readonly #log: Logger;
  readonly #metrics: TlsMetrics;
  readonly #apply: (material: TlsMaterial) => void;
  #watched: string[] = [];
  #current: TlsMaterial | undefined;
  #reloading: Promise<boolean> | undefined;
  #again = false;

  constructor(options: {
    listener: string;
    files: TlsFiles;
    checkIntervalMs: number;
    log: Logger;
    metrics: TlsMetrics;
    apply: (material: TlsMaterial) => void;
  }) {
    this.#listener = options.listener;
    this.#files = options.files;
    this.#checkIntervalMs = options.checkIntervalMs;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#apply = options.apply;
  }

  /** The first load: throws when the files are unusable, so the server does not start. */
  async load(): Promise<TlsMaterial> {
    const material = await readTlsMaterial(this.#files);
    this.#accept(material, 'start');
    return material;
  }

  /** Starts polling the files (stat follows symlinks, so swapped Kubernetes secrets count). */
  watch(): void {
    const files = [this.#files.certFile, this.#files.keyFile, this.#files.caFile].filter(
      (f): f is string => f !== undefined,
    );
    for (const file of new Set(files)) {
      watchFile(
        file,
        { interval: this.#checkIntervalMs, persistent: false },
        (now: Stats, before: Stats) => {
          if (
            now.mtimeMs !== before.mtimeMs ||
            now.ino !== before.ino ||
            now.size !== before.size
          ) {
            void this.reload('file-change');
          }
        },
      );
      this.#watched.push(file);
    }
  }

  /** Re-reads the files; true when the new pair is now served. Concurrent calls coalesce. */
  reload(trigger: Exclude<ReloadTrigger, 'start'>): Promise<boolean> {
    if (this.#reloading !== undefined) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = this.#reloadOnce(trigger).finally(() => {
      this.#reloading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.reload(trigger);
      }
    });
    return this.#reloading;
  }

  close(): void {
    for (const file of this.#watched) unwatchFile(file);
    this.#watched = [];
  }

  async #reloadOnce(trigger: Exclude<ReloadTrigger, 'start'>): Promise<boolean> {
    let material: TlsMaterial;
    try {
      material = await readTlsMaterial(this.#files);
    } catch (error) {
      this.#metrics.tlsReloads.inc({ listener: this.#listener, trigger, result: 'failed' });
      this.#log.error(
        { err: error, listener: this.#listener, trigger },
        'TLS certificate reload failed; still serving the previous certificate',
      );
      return false;
    }
    if (
      material.fingerprint256 === this.#current?.fingerprint256 &&
      sameBytes(material, this.#current)
    ) {
      return true;
    }
    try {
      this.#apply(material);
    } catch (error) {
      this.#metrics.tlsReloads.inc({ listener: this.#listener, trigger, result: 'failed' });
      this.#log.error(
        { err: error, listener: this.#listener, trigger },
        'TLS certificate reload failed',
      );
      return false;
    }
    this.#accept(material, trigger);
    return true;
  }

  #accept(material: TlsMaterial, trigger: ReloadTrigger): void {
    this.#current = material;
    this.#metrics.tlsReloads.inc({ listener: this.#listener, trigger, result: 'ok' });
    this.#metrics.tlsCertificateExpiry.set(
      { listener: this.#listener },
      Math.floor(material.notAfterMs / 1000),
    );
    this.#log.info(
      {
        listener: this.#listener,
        trigger,
        fingerprint256: material.fingerprint256,
        notAfter: new Date(material.notAfterMs).toISOString(),
      },
      'TLS certificate loaded',
    );
  }
}

function sameBytes(a: TlsMaterial, b: TlsMaterial): boolean {
  return (
    a.key.equals(b.key) &&
    (a.ca === undefined ? b.ca === undefined : b.ca !== undefined && a.ca.equals(b.ca))
  );
}
