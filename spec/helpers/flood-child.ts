/**
 * Child process for the flood spec (spec/hostile/flood.spec.ts):
 * `node --import tsx spec/helpers/flood-child.ts URL API_KEY DURATION_MS CONNECTIONS`.
 *
 * Opens CONNECTIONS sockets that send batches of 100 app messages as fast as
 * their send buffers drain, and reconnect (fresh clientId) whenever the server
 * closes them. Prints `ready` once every socket is flooding, and one JSON line
 * of counts when DURATION_MS is over, then exits. A separate process, so the
 * flood's own CPU cost does not land on the server's event loop.
 */
import { WebSocket } from 'ws';

const [url, apiKey, durationArg, connectionsArg] = process.argv.slice(2);
if (!url || !apiKey) throw new Error('usage: flood-child.ts URL API_KEY DURATION_MS CONNECTIONS');
const durationMs = Number(durationArg ?? 1000);
const connections = Number(connectionsArg ?? 4);
const BATCH = 100;
const MAX_BUFFERED = 256 * 1024;

const counts = {
  sent: 0,
  acked: 0,
  rateLimited: 0,
  otherNacks: 0,
  connects: 0,
  closes: {} as Record<string, number>,
};
const deadline = Date.now() + durationMs;
let generation = 0;
let flooding = 0;
let announced = false;

function flood(slot: number): void {
  if (Date.now() >= deadline) return;
  const clientId = `flood-${slot}-${++generation}`;
  const ws = new WebSocket(url!);
  let seq = 0;
  let open = false;
  ws.on('error', () => undefined);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connect', v: 1, clientId, apiKey })));
  ws.on('message', (data) => {
    const frame: unknown = JSON.parse(data.toString());
    for (const e of (Array.isArray(frame) ? frame : [frame]) as Array<Record<string, unknown>>) {
      if (e['type'] === 'connect' && !open) {
        open = true;
        counts.connects++;
        if (++flooding === connections && !announced) {
          announced = true;
          process.stdout.write('ready\n');
        }
        pump();
      } else if (e['type'] === 'ack') counts.acked += Array.isArray(e['ids']) ? e['ids'].length : 1;
      else if (e['type'] === 'nack' && e['code'] === 'RATE_LIMITED') counts.rateLimited++;
      else if (e['type'] === 'nack') counts.otherNacks++;
    }
  });
  ws.on('close', (code) => {
    counts.closes[code] = (counts.closes[code] ?? 0) + 1;
    if (open) flooding--;
    flood(slot);
  });
  const pump = (): void => {
    if (ws.readyState !== WebSocket.OPEN || Date.now() >= deadline) {
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      return;
    }
    if (ws.bufferedAmount < MAX_BUFFERED) {
      const batch = Array.from({ length: BATCH }, () => ({
        type: 'data',
        id: `${clientId}-${++seq}`,
        name: 'X',
        payload: { flood: seq },
      }));
      ws.send(JSON.stringify(batch));
      counts.sent += BATCH;
    }
    setImmediate(pump);
  };
}

for (let slot = 0; slot < connections; slot++) flood(slot);
setTimeout(() => {
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  process.exit(0);
}, durationMs + 200);
