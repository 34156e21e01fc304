import { StorageError } from '../protocol/errors';
import type { MessageQueue } from '../queue/message-queue';
import { createMessageId } from '../queue/queued-message';

export const newClientId = (): string => `c-${createMessageId()}`;

/**
 * The identity the server dedupes by, once the queue is restored: the
 * `clientId` option, else the stored one; undefined when there is none yet.
 * `lost` is the storage's recovery error when records were damaged: then
 * queued messages without a readable identity are refused (reported first).
 */
export async function knownClientId(
  queue: MessageQueue,
  given: string | undefined,
  lost: Error | undefined,
  report: (error: Error) => void,
): Promise<string | undefined> {
  const clientId = given ?? (await queue.getMeta<string>('clientId')) ?? undefined;
  if (!clientId && lost && queue.size > 0) {
    // The damaged records may have held the identity these messages were sent under: a new one would
    // defeat server-side dedupe. (Messages stored with no clientId at all were never sent: a tab that
    // did not lead yet writes them for the one that will.)
    const error = new StorageError(
      'CORRUPT',
      'The stored clientId could not be read back: pass the old `clientId` option, or clear the storage.',
      { cause: lost },
    );
    report(error);
    throw error;
  }
  return clientId;
}
