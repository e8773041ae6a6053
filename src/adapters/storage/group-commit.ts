/** When a group is committed: whichever of the two comes first. */
export interface GroupCommitOptions {
  /**
   * How long the first write of a group waits for others to join it. 0 commits what one
   * event-loop turn brought (writes made while the loop was busy, e.g. many calls at once).
   */
  intervalMs?: number;
  /** A group this large is committed at once; 1 commits every write on its own. */
  maxItems?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Commits writes in groups: on this kind of machine a commit costs far more than the rows it
 * writes, so many concurrent calls (or control events) share one. Each writer resolves only
 * once its group is committed, and a group that fails rejects every one of its writers with
 * that failure: an acknowledgement always means stored.
 *
 * `commit` may be synchronous (SQLite: one transaction, so groups commit one after the other)
 * or asynchronous (Redis: one round of scripts, sent as soon as the group closes; one
 * connection keeps the groups' commands in the order they were sent). Callers that need one
 * write to follow another (a call's events) wait for the first before making the second.
 */
export class GroupCommit<T, R> {
  readonly #commit: (items: T[]) => R[] | Promise<R[]>;
  readonly #intervalMs: number;
  readonly #maxItems: number;
  #batch: Waiting<T, R>[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Groups being committed asynchronously. */
  readonly #inFlight = new Set<Promise<void>>();

  /** `commit` writes the whole group at once and returns one result per item, in order. */
  constructor(commit: (items: T[]) => R[] | Promise<R[]>, options: GroupCommitOptions = {}) {
    this.#commit = commit;
    this.#intervalMs = Math.max(0, options.intervalMs ?? 0);
    this.#maxItems = Math.max(1, Math.trunc(options.maxItems ?? Number.MAX_SAFE_INTEGER));
  }

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#batch.push({ item, resolve, reject });
      if (this.#batch.length >= this.#maxItems) void this.flush();
      else if (this.#batch.length === 1) this.#schedule();
    });
  }

  /**
   * Commits what is queued now (also used at close, so accepted writes are not dropped). A
   * synchronous commit has happened when this returns; the promise settles once every group
   * committed so far is done.
   */
  flush(): Promise<void> {
    this.#cancelTimer();
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length > 0) {
      const pending = this.#run(batch);
      if (pending !== undefined) {
        this.#inFlight.add(pending);
        void pending.finally(() => this.#inFlight.delete(pending));
      }
    }
    return this.#inFlight.size === 0
      ? Promise.resolve()
      : Promise.all(this.#inFlight).then(() => undefined);
  }

  /**
   * Undefined when the commit was synchronous and is done; otherwise settles when it is. Never
   * rejects: the group's failure goes to its writers.
   */
  #run(batch: Waiting<T, R>[]): Promise<void> | undefined {
    let results: R[] | Promise<R[]>;
    try {
      results = this.#commit(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return undefined;
    }
    if (!(results instanceof Promise)) {
      settle(batch, results);
      return undefined;
    }
    return results.then(
      (done) => settle(batch, done),
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }

  #schedule(): void {
    if (this.#intervalMs === 0) this.#timer = setImmediate(() => void this.flush());
    else this.#timer = setTimeout(() => void this.flush(), this.#intervalMs);
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }
}

function settle<T, R>(batch: Waiting<T, R>[], results: R[]): void {
  batch.forEach((entry, i) => entry.resolve(results[i] as R));
}
