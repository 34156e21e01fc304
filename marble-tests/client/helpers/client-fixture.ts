import type { SchedulerLike } from 'rxjs';
import { ReliableWebSocketClient, type ClientEvent, type ReliableClientOptions } from '../../../src/index';
import { FakeServer } from './fake-websocket';
import { VirtualClock } from './virtual-clock';

export interface ClientFixture {
  clock: VirtualClock;
  server: FakeServer;
  client: ReliableWebSocketClient;
  /** Every client event with the virtual time it was emitted at. */
  events: Array<{ at: number; event: ClientEvent }>;
  /** `[time, state]` for every state the client entered (the initial one included). */
  states: Array<[number, string]>;
  /** `[time, detail]` of one event type. */
  timeline<T = unknown>(type: ClientEvent['type'], pick?: (detail: any) => T): Array<[number, T]>;
  /** `client.close()`, with virtual time running so the socket's close can arrive. */
  close(): Promise<void>;
}

/**
 * A ReliableWebSocketClient on a VirtualClock and a FakeServer: no sockets,
 * no storage, no real timers. `schedulerFor` may skew the client's timers.
 */
export function clientFixture(
  options: ReliableClientOptions = {},
  schedulerFor: (scheduler: SchedulerLike) => SchedulerLike = (s) => s,
): ClientFixture {
  const clock = new VirtualClock();
  const server = new FakeServer(clock.scheduler);
  const client = new ReliableWebSocketClient('ws://fake.test/', {
    apiKey: 'key',
    enablePersistence: false,
    WebSocketCtor: server.WebSocketCtor,
    scheduler: schedulerFor(clock.scheduler),
    ...options,
  });
  const events: ClientFixture['events'] = [];
  const states: ClientFixture['states'] = [];
  client.events$.subscribe((event) => events.push({ at: clock.now(), event }));
  client.state$.subscribe((state) => states.push([clock.now(), state]));
  return {
    clock,
    server,
    client,
    events,
    states,
    timeline: (type, pick = (d) => d) =>
      events.filter((e) => e.event.type === type).map((e) => [e.at, pick(e.event.detail)]),
    async close() {
      let done = false;
      const closing = client.close().finally(() => (done = true));
      for (let i = 0; i < 100 && !done; i++) await clock.advanceBy(1);
      await closing;
    },
  };
}
