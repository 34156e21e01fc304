/** One group's calls of the turn, in parallel arrays (no object per call). */
interface Pending<I, O> {
  items: I[];
  resolves: Array<(o: O | PromiseLike<O>) => void>;
  rejects: Array<(e: unknown) => void>;
}

/**
 * Gathers calls made during one event-loop turn into one batch per group
 * (e.g. per hash tag: one Cluster slot), run at `setImmediate`, so a burst of
 * messages costs one Redis call per group instead of one per message.
 */
export class TurnBatcher<I, O> {
  private groups = new Map<string, Pending<I, O>>();
  private scheduled = false;

  constructor(
    private readonly run: (group: string, items: I[]) => Promise<Array<O | PromiseLike<O>>>,
    private readonly maxBatch = 256,
  ) {}

  add(group: string, item: I): Promise<O> {
    let pending = this.groups.get(group);
    if (pending === undefined) {
      pending = { items: [], resolves: [], rejects: [] };
      this.groups.set(group, pending);
    }
    pending.items.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
    const { resolves, rejects } = pending;
    return new Promise<O>((resolve, reject) => {
      resolves.push(resolve);
      rejects.push(reject);
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const [group, { items, resolves, rejects }] of groups) {
      for (let at = 0; at < items.length; at += this.maxBatch) {
        const end = Math.min(items.length, at + this.maxBatch);
        const chunk = at === 0 && end === items.length ? items : items.slice(at, end);
        this.run(group, chunk).then(
          (outputs) => {
            for (let i = at; i < end; i++) resolves[i]!(outputs[i - at]!);
          },
          (error: unknown) => {
            for (let i = at; i < end; i++) rejects[i]!(error);
          },
        );
      }
    }
  };
}
