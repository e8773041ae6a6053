/**
 * Batches writes made in the same event-loop turn into one SQLite transaction. On this kind of
 * machine a commit costs far more than the rows it writes, so many concurrent calls or control
 * events share one. Each caller still resolves only after its own write is committed.
 */
export class GroupCommit<T, R> {
  #batch: { item: T; resolve(result: R): void; reject(error: unknown): void }[] = [];

  /** `commit` runs the whole batch in one transaction and returns one result per item, in order. */
  constructor(private readonly commit: (items: T[]) => R[]) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#batch.push({ item, resolve, reject });
      if (this.#batch.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now (also used at close, so accepted writes are not dropped). */
  flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0) return;
    let results: R[];
    try {
      results = this.commit(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, i) => entry.resolve(results[i] as R));
  }
}
