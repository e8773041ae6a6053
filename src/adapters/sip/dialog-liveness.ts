import type { Dialog } from './dialogs.js';
import { expiryMs, refreshMs, type SessionTimer } from './session-timer.js';
import type { SipHeader } from './sip-message.js';

export type LivenessEndReason = 'session-expired' | 'dialog-lost';

export interface DialogLivenessDeps {
  /** Quiet time (no RTP, no SIP) before an in-dialog OPTIONS probe, for dialogs without timers. */
  probeIntervalMs: number;
  now: () => number;
  /** Sends a request in the dialog; its final status, undefined when none came (64*T1). */
  send(dialog: Dialog, method: string, headers: SipHeader[]): Promise<number | undefined>;
  /** Ends the recording; `sendBye` false when the SRC already said the dialog is gone. */
  end(dialog: Dialog, reason: LivenessEndReason, sendBye: boolean): void;
}

interface Watch {
  timer: NodeJS.Timeout | undefined;
  session: SessionTimer | null;
  /** When the SRC last sent anything in the dialog. */
  lastSipMs: number;
  /** RTP packets received when the quiet period started. */
  packetsAtCheck: number;
  /** Refreshes go by UPDATE until the SRC refuses it, then by OPTIONS. */
  refreshMethod: 'UPDATE' | 'OPTIONS';
  inFlight: boolean;
}

/** 481 and 408 say the dialog is gone (RFC 3261 §12.2.1.2); no answer at all says the same. */
function dialogGone(status: number | undefined): boolean {
  return status === undefined || status === 481 || status === 408;
}

/**
 * Keeps every dialog provably alive, or ends it: no recording may outlive its dialog.
 * - RFC 4028 timer, SRC refreshes: the call ends (`session-expired`) when no re-INVITE or UPDATE
 *   arrived by the interval minus min(32 s, interval/3).
 * - RFC 4028 timer, callscribe refreshes (the SRC asked for `refresher=uas`, or does not support
 *   timers): an UPDATE without body at half the interval, or OPTIONS when the SRC refuses UPDATE.
 *   A 481, 408 or no answer ends the call (`session-expired`).
 * - No timer: after `probeIntervalMs` with neither RTP nor SIP, an in-dialog OPTIONS; a 481, 408
 *   or no answer ends the call (`dialog-lost`). Any other answer proves the dialog is alive.
 */
export class DialogLiveness {
  readonly #deps: DialogLivenessDeps;
  readonly #watches = new Map<Dialog, Watch>();

  constructor(deps: DialogLivenessDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#watches.size;
  }

  /** Starts watching a confirmed dialog, with the timer its INVITE negotiated (or none). */
  start(dialog: Dialog, session: SessionTimer | null): void {
    const watch: Watch = {
      timer: undefined,
      session,
      lastSipMs: this.#deps.now(),
      packetsAtCheck: dialog.media.stats().packetsReceived,
      refreshMethod: 'UPDATE',
      inFlight: false,
    };
    this.#watches.set(dialog, watch);
    this.#arm(dialog, watch);
  }

  /** The SRC sent a request in the dialog: it is there. */
  sipActivity(dialog: Dialog): void {
    const watch = this.#watches.get(dialog);
    if (watch !== undefined) watch.lastSipMs = this.#deps.now();
  }

  /** A re-INVITE or UPDATE was answered 2xx: the session is refreshed, with this timer or none. */
  refreshed(dialog: Dialog, session: SessionTimer | null): void {
    const watch = this.#watches.get(dialog);
    if (watch === undefined) return;
    watch.session = session;
    watch.lastSipMs = this.#deps.now();
    this.#arm(dialog, watch);
  }

  stop(dialog: Dialog): void {
    const watch = this.#watches.get(dialog);
    if (watch === undefined) return;
    clearTimeout(watch.timer);
    this.#watches.delete(dialog);
  }

  close(): void {
    for (const watch of this.#watches.values()) clearTimeout(watch.timer);
    this.#watches.clear();
  }

  #arm(dialog: Dialog, watch: Watch, probeDelayMs = this.#deps.probeIntervalMs): void {
    clearTimeout(watch.timer);
    const { session } = watch;
    let delayMs: number;
    let fire: () => void;
    if (session === null) {
      delayMs = probeDelayMs;
      fire = () => this.#probeIfQuiet(dialog, watch);
    } else if (session.refresher === 'uac') {
      delayMs = expiryMs(session);
      fire = () => this.#expire(dialog, watch);
    } else {
      delayMs = refreshMs(session);
      fire = () => this.#refresh(dialog, watch, session);
    }
    watch.timer = setTimeout(fire, delayMs);
    watch.timer.unref();
  }

  #expire(dialog: Dialog, watch: Watch): void {
    if (this.#watches.get(dialog) !== watch) return;
    dialog.log.warn(
      { sessionExpiresS: watch.session?.intervalS },
      'no session refresh from the SRC in time; ending the recording',
    );
    this.stop(dialog);
    this.#deps.end(dialog, 'session-expired', true);
  }

  #refresh(dialog: Dialog, watch: Watch, session: SessionTimer): void {
    const headers: SipHeader[] =
      watch.refreshMethod === 'UPDATE'
        ? [
            { name: 'Session-Expires', value: `${session.intervalS};refresher=uas` },
            { name: 'Supported', value: 'timer' },
          ]
        : [];
    this.#ask(dialog, watch, watch.refreshMethod, headers, (status) => {
      if (dialogGone(status)) return this.#lost(dialog, 'session-expired', status);
      if (watch.refreshMethod === 'UPDATE' && (status === 405 || status === 501)) {
        dialog.log.info({ status }, 'SRC refuses UPDATE; refreshing with OPTIONS');
        watch.refreshMethod = 'OPTIONS';
      }
      this.#arm(dialog, watch);
    });
  }

  #probeIfQuiet(dialog: Dialog, watch: Watch): void {
    if (this.#watches.get(dialog) !== watch) return;
    const packets = dialog.media.stats().packetsReceived;
    const quietSinceMs = this.#deps.now() - watch.lastSipMs;
    if (packets !== watch.packetsAtCheck) {
      watch.packetsAtCheck = packets;
      this.#arm(dialog, watch);
      return;
    }
    if (quietSinceMs < this.#deps.probeIntervalMs) {
      this.#arm(dialog, watch, this.#deps.probeIntervalMs - quietSinceMs);
      return;
    }
    this.#ask(dialog, watch, 'OPTIONS', [], (status) => {
      if (dialogGone(status)) return this.#lost(dialog, 'dialog-lost', status);
      watch.packetsAtCheck = dialog.media.stats().packetsReceived;
      this.#arm(dialog, watch);
    });
  }

  #ask(
    dialog: Dialog,
    watch: Watch,
    method: string,
    headers: SipHeader[],
    then: (status: number | undefined) => void,
  ): void {
    if (watch.inFlight) return;
    watch.inFlight = true;
    void this.#deps.send(dialog, method, headers).then((status) => {
      watch.inFlight = false;
      if (this.#watches.get(dialog) !== watch) return;
      dialog.log.info({ method, status: status ?? 'no answer' }, 'dialog check answered');
      then(status);
    });
  }

  #lost(dialog: Dialog, reason: LivenessEndReason, status: number | undefined): void {
    dialog.log.warn(
      { reason, status: status ?? 'no answer' },
      'SRC lost the dialog; ending the recording',
    );
    this.stop(dialog);
    // After a 481 the SRC already knows; otherwise a BYE still tells it, should it come back.
    this.#deps.end(dialog, reason, status !== 481);
  }
}
