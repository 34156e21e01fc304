import * as net from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import {
  measure,
  readBenchEnv,
  tradeSignal,
  type BenchOptions,
  type BenchResult,
  type SendFn,
} from '../harness';
import { startPeerServer, type RunningServer } from '../peer-server';

const TOPIC = 'signals';
/** MQTT packet ids are 16 bits: more unacked publishes than this would collide. */
const MAX_IN_FLIGHT = 65_535;

/**
 * An in-process aedes 1.x broker on node:net, with an in-process subscriber
 * that parses each signal like the other peers' handlers (aedes writes the
 * QoS 1 PUBACK before it dispatches, so the parse costs CPU, not latency).
 */
export async function startServer(): Promise<RunningServer> {
  const broker = await Aedes.createBroker();
  broker.subscribe(
    TOPIC,
    (packet, callback) => {
      JSON.parse(String(packet.payload));
      callback();
    },
    () => undefined,
  );
  const server = net.createServer(broker.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

/** MQTT.js over TCP, publishing at QoS 1; the PUBACK is the acknowledgement. */
export async function bench(opts: BenchOptions): Promise<BenchResult> {
  const inFlight = opts.window === 'burst' ? opts.messages : opts.window;
  if (inFlight > MAX_IN_FLIGHT) {
    throw new RangeError(`MQTT allows at most ${MAX_IN_FLIGHT} unacked publishes; got ${inFlight}`);
  }
  const env = readBenchEnv();
  const server = await startPeerServer(__filename, startServer, env.serverMode);
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
  try {
    const send: SendFn = (seq, done) => {
      client.publish(TOPIC, JSON.stringify(tradeSignal(seq)), { qos: 1 }, (error) =>
        done(error ?? undefined),
      );
    };
    return await measure('MQTT.js QoS 1 (aedes)', opts, send, { ...env, server });
  } finally {
    await client.endAsync(true);
    await server.close();
  }
}
