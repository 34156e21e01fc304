// A tiny "Angular app" for zone-schedulers.spec.ts, which bundles it with esbuild
// the way the Angular CLI builds apps (async/await lowered to generators, so
// zone.js can follow promise continuations) and runs it in its own Node process:
// zone.js patches the whole process, and @angular/core is ESM-only. Prints one
// JSON report on stdout.
import 'zone.js/node';
import { NgZone } from '@angular/core';
import {
  ReliableWebSocketClient,
  enterZone,
  zoneSchedulers,
  type ReliableClientOptions,
} from '../../src/node';
import { ReliableWebSocketServer } from '../../src/server/index';

declare const Zone: { root: { run<T>(fn: () => T): T } };

const API_KEY = 'zone-key-0123456789';
const sleep = (ms: number): Promise<void> =>
  Zone.root.run(() => new Promise((resolve) => setTimeout(resolve, ms)));

interface ScenarioReport {
  connected: boolean;
  hasPendingMacrotasks: boolean;
  isStable: boolean;
  onStableFired: boolean;
  pendingWhileAwaitingAck?: boolean;
  acknowledged?: boolean;
  rawInZone?: boolean;
  enteredInZone?: boolean;
}

async function scenario(
  url: string,
  server: ReliableWebSocketServer,
  options: { outsideScheduler: boolean; connectOutside: boolean },
): Promise<ScenarioReport> {
  const ngZone = new NgZone({ enableLongStackTrace: false });
  const base: ReliableClientOptions = {
    apiKey: API_KEY,
    enablePersistence: false,
    heartbeatInterval: 50,
    heartbeatTimeout: 200,
    messageTimeout: 2000,
  };
  const inZone: { raw?: boolean; entered?: boolean } = {};
  const client = ngZone.run(() => {
    const c = new ReliableWebSocketClient(
      url,
      options.outsideScheduler ? { ...base, scheduler: zoneSchedulers(ngZone).outside } : base,
    );
    c.messages$.subscribe(() => (inZone.raw = NgZone.isInAngularZone()));
    c.messages$.pipe(enterZone(ngZone)).subscribe(() => (inZone.entered = NgZone.isInAngularZone()));
    return c;
  });
  try {
    const connect = (): Promise<void> => client.connect();
    await Zone.root.run(() =>
      options.connectOutside ? ngZone.runOutsideAngular(connect) : ngZone.run(connect),
    );
    // A send from inside the zone (a click handler) whose ack takes 300 ms: its ack timer must not be tracked.
    const sent = ngZone.run(() => client.sendWithAcknowledgement({ type: 'SLOW', payload: 1 }));
    await sleep(100);
    const pendingWhileAwaitingAck = ngZone.hasPendingMacrotasks;
    const acknowledged = (await sent).acknowledged;
    await sleep(300); // six heartbeat intervals, all answered
    let onStableFired = false;
    const subscription = ngZone.onStable.subscribe(() => (onStableFired = true));
    ngZone.run(() => undefined);
    subscription.unsubscribe();
    const report: ScenarioReport = {
      connected: client.state === 'connected',
      hasPendingMacrotasks: ngZone.hasPendingMacrotasks,
      isStable: ngZone.isStable,
      onStableFired,
      pendingWhileAwaitingAck,
      acknowledged,
    };
    server.broadcast('PRICE', { bid: 1.1 });
    for (let i = 0; i < 100 && inZone.entered === undefined; i++) await sleep(10);
    return { ...report, rawInZone: inZone.raw, enteredInZone: inZone.entered };
  } finally {
    await Zone.root.run(() => client.close());
  }
}

async function main(): Promise<void> {
  const server = Zone.root.run(
    () =>
      new ReliableWebSocketServer({ host: '127.0.0.1', port: 0, apiKeys: [API_KEY], heartbeatInterval: 0 }),
  );
  server.handle('SLOW', () => new Promise((resolve) => setTimeout(() => resolve('done'), 300)));
  const { port } = await Zone.root.run(() => server.listen());
  const url = `ws://127.0.0.1:${port}`;
  try {
    const report = {
      outsideSchedulerConnectInZone: await scenario(url, server, {
        outsideScheduler: true,
        connectOutside: false,
      }),
      outsideSchedulerConnectOutside: await scenario(url, server, {
        outsideScheduler: true,
        connectOutside: true,
      }),
      defaultSchedulerConnectInZone: await scenario(url, server, {
        outsideScheduler: false,
        connectOutside: false,
      }),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await Zone.root.run(() => server.close());
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
