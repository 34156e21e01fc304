// Child of bench/scale.ts: opens `count` authenticated protocol clients on 127.0.0.1 and heartbeats each one.
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';

/** argv: port, count, heartbeat interval ms, concurrent handshakes, api key. */
export interface LoadRequest {
  stats?: true;
  stop?: true;
}
export interface LoadStats {
  connected: number;
  failed: number;
  heartbeatsSent: number;
  heartbeatAcks: number;
  /** ms from the first connect to the last handshake done. */
  setupMs: number;
}
export type LoadReply = { progress: LoadStats } | { ready: LoadStats } | { stats: LoadStats };

const MAX_LIFETIME_MS = 15 * 60_000;
const HANDSHAKE_TIMEOUT_MS = 30_000;

const [port, count, heartbeatMs, concurrency] = process.argv.slice(2, 6).map(Number);
const apiKey = process.argv[6];
const stats: LoadStats = { connected: 0, failed: 0, heartbeatsSent: 0, heartbeatAcks: 0, setupMs: 0 };
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];

function reply(message: LoadReply): void {
  process.send?.(message);
}

/**
 * One client as the library's would behave at rest: the hello with its key,
 * then `{ type: 'heartbeat', ts }` every `heartbeatMs` (at a random phase, so
 * the load is spread), answering the server's WebSocket pings (ws does).
 */
function connectOne(): Promise<void> {
  return new Promise<void>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    let welcomed = false;
    const fail = () => {
      if (!welcomed) {
        welcomed = true;
        stats.failed++;
        clearTimeout(deadline);
        ws.terminate();
        resolve();
      }
    };
    const deadline = setTimeout(fail, HANDSHAKE_TIMEOUT_MS);
    ws.on('error', fail);
    ws.on('close', fail);
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connect', v: 1, clientId: randomBytes(8).toString('hex'), apiKey })),
    );
    ws.on('message', (data) => {
      const text = String(data);
      if (!welcomed) {
        if (!text.startsWith('{"type":"connect"')) return fail();
        welcomed = true;
        clearTimeout(deadline);
        stats.connected++;
        sockets.push(ws);
        const beat = () => {
          if (ws.readyState !== WebSocket.OPEN) return;
          stats.heartbeatsSent++;
          ws.send(`{"type":"heartbeat","ts":${Date.now()}}`);
        };
        const phase = setTimeout(() => {
          beat();
          timers.push(setInterval(beat, heartbeatMs));
        }, Math.random() * heartbeatMs);
        timers.push(phase);
        resolve();
      } else if (text.includes('"heartbeat_ack"')) {
        // A batched frame may hold several envelopes; each client has one heartbeat outstanding at most.
        stats.heartbeatAcks++;
      }
    });
  });
}

async function main(): Promise<void> {
  setTimeout(() => process.exit(2), MAX_LIFETIME_MS).unref();
  process.on('message', (message: LoadRequest) => {
    if (message.stats) reply({ stats: { ...stats } });
    if (message.stop) {
      for (const timer of timers) clearTimeout(timer);
      for (const ws of sockets) ws.terminate();
      setTimeout(() => process.exit(0), 200);
    }
  });
  process.once('disconnect', () => process.exit(0));
  const started = Date.now();
  // Progress until stopped: the parent prints it during the ramp and the measured phases.
  setInterval(() => reply({ progress: { ...stats } }), 1000);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await connectOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  stats.setupMs = Date.now() - started;
  reply({ ready: { ...stats } });
}

void main();
