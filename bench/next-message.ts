import type { ChildProcess } from 'node:child_process';

/** Resolves with the first message `pick` accepts, or rejects after `ms`. */
export function nextMessage<M, T>(
  child: ChildProcess,
  pick: (m: M) => T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    const onMessage = (message: M) => {
      const value = pick(message);
      if (value === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(value);
    };
    child.on('message', onMessage);
  });
}
