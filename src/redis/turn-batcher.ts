/**
 * Gathers calls made during one event-loop turn into one batch per group
 * (e.g. per hash tag: one Cluster slot), run at `setImmediate`, so a burst of
 * messages costs one Redis call per group instead of one per message.
 */
export class TurnBatcher<I, O> {
  private groups = new Map<
    string,
    Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>
  >();
  private scheduled = false;

  constructor(
    private readonly run: (group: string, items: I[]) => Promise<O[]>,
    private readonly maxBatch = 256,
  ) {}

  add(group: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      let list = this.groups.get(group);
      if (list === undefined) {
        list = [];
        this.groups.set(group, list);
      }
      list.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const groups = this.groups;
    this.groups = new Map();
    for (const [group, list] of groups) {
      for (let at = 0; at < list.length; at += this.maxBatch) {
        const chunk = list.slice(at, at + this.maxBatch);
        this.run(
          group,
          chunk.map((c) => c.item),
        ).then(
          (outputs) => chunk.forEach((c, i) => c.resolve(outputs[i]!)),
          (error: unknown) => chunk.forEach((c) => c.reject(error)),
        );
      }
    }
  };
}
