import type { ConnectionState } from '../protocol/enums';
import type { QueuedMessage } from '../queue/queued-message';
import type { ClientEventMap, InboundMessage } from './client-events';
import type { TransferredError } from './transferable-error';

type OutcomeType = 'messageAcknowledged' | 'messageFailed' | 'messageExpired';

/**
 * How one message ended, as the sending tab tells the tab that accepted it:
 * the event it emitted, with the error made transferable.
 */
export type TabSettlement = {
  [K in OutcomeType]: {
    kind: 'settled';
    type: K;
    detail: Omit<ClientEventMap[K], 'error'> & { error?: TransferredError };
  };
}[OutcomeType];

/** What tabs sharing a `storageKey` tell each other (structured-cloned over a BroadcastChannel). */
export type TabMessage =
  /** A tab that does not send asks the sender for its state. */
  | { kind: 'hello' }
  /** The sending tab's connection, for the others' `state$`, validation limits and `clientId`. */
  | {
      kind: 'state';
      state: ConnectionState;
      clientId: string | undefined;
      dedupeTtl: number;
      maxPayload: number;
    }
  /** A tab that does not send persisted this message; the sender takes it over. */
  | { kind: 'queued'; message: QueuedMessage }
  | TabSettlement
  /** A server push, relayed to the tabs without a socket. */
  | { kind: 'inbound'; message: InboundMessage }
  /** `commit()` in a tab that does not send (ackMode 'manual'): the sender, which owns the cursor, commits. */
  | { kind: 'commit'; ref: string; message: Pick<InboundMessage, 'stream' | 'seq' | 'epoch'> }
  /** The sender's answer to `commit` `ref`: committed (durable), or why not. */
  | { kind: 'committed'; ref: string; error?: TransferredError };

/**
 * One exclusive lock and one broadcast channel per `storageKey`, shared by
 * the tabs of an origin (Web Locks and BroadcastChannel in browsers). The
 * holder of the lock is the only tab with a socket. Supplied by the Platform;
 * absent in Node.
 */
export interface TabCoordination {
  /** Asks for the lock; `onAcquired` runs once it is granted. It is held until `close()`. */
  requestLeadership(onAcquired: () => void): void;
  /** Withdraws a request not granted yet (a held lock stays held). */
  cancelRequest(): void;
  post(message: TabMessage): void;
  onMessage(listener: (message: TabMessage) => void): void;
  /** Releases the lock (another tab may take over), withdraws any request, closes the channel. */
  close(): void;
}
