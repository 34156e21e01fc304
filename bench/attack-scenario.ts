/**
 * The soak's attack phase (`npm run soak`, phase 4): hostile clients against
 * a reference server started with only `apiKeys` in a child process
 * (spec/helpers/output-attack-child.ts, a 60 KB `HISTORY` answer), while a
 * well-behaved witness sends one message every few ms. Bounded by
 * `durationMs`. The attacks, round-robin:
 *
 *   - one frame of 10,000 copies of an answered id (answered once);
 *   - 400 frames of resends of it, never read (the output budget closes 4008);
 *   - sockets that send half an HTTP request (closed by the handshake timeout).
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { RawClient, withTimeout } from '../spec/helpers/raw-client';

const KEY = 'soak-attack-key';
const ROOT = path.resolve(__dirname, '..');
const WITNESS_EVERY_MS = 5;
const HALF_REQUESTS = 20;

export interface AttackScenarioOptions {
  durationMs: number;
  onProgress?: (line: string) => void;
}

export interface AttackScenarioResult {
  rounds: number;
  copyFrames: number;
  /** Answers to the 10,000-copy frames: one per frame when the defence holds. */
  copyAnswers: number;
  budgetCloses: number;
  halfRequests: number;
  halfRequestsClosed: number;
  witnessSent: number;
  witnessAcked: number;
  serverExited: boolean;
  peakRssMb: number;
  errorEvents: number;
}

export async function runAttackScenario(options: AttackScenarioOptions): Promise<AttackScenarioResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'spec/helpers/output-attack-child.ts', KEY, '60000'],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const next = await withTimeout(lines.next(), 10_000, 'the attack server');
    if (next.done) throw new Error('the attack server ended');
    return String(next.value);
  };
  const port = Number(/^listening (\d+)$/.exec(await line())?.[1]);
  const url = `ws://127.0.0.1:${port}`;
  const result: AttackScenarioResult = {
    rounds: 0,
    copyFrames: 0,
    copyAnswers: 0,
    budgetCloses: 0,
    halfRequests: 0,
    halfRequestsClosed: 0,
    witnessSent: 0,
    witnessAcked: 0,
    serverExited: false,
    peakRssMb: 0,
    errorEvents: 0,
  };

  const witness = await RawClient.connect(url, 'witness', KEY);
  witness.ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as unknown;
    for (const e of (Array.isArray(frame) ? frame : [frame]) as Array<{ type: string; id?: string }>)
      if (e.type === 'ack' && e.id?.startsWith('w-')) result.witnessAcked++;
  });
  const trickle = setInterval(() => {
    if (exited) return;
    witness.send({ type: 'command', id: `w-${++result.witnessSent}`, name: 'PING', payload: 1 });
  }, WITNESS_EVERY_MS);

  const halfClosed: Array<Promise<void>> = [];
  const deadline = Date.now() + options.durationMs;
  try {
    while (Date.now() < deadline && !exited) {
      result.rounds++;
      const attacker = await RawClient.connect(url, `attacker-${result.rounds}`, KEY);
      attacker.send({ type: 'command', id: 'h', name: 'HISTORY' });
      await attacker.next((e) => e.id === 'h', 'the first answer', 5000);
      const copies = JSON.stringify(
        Array.from({ length: 10_000 }, () => ({ type: 'command', id: 'h', name: 'HISTORY' })),
      );
      attacker.send(copies);
      result.copyFrames++;
      attacker.send({ type: 'heartbeat', ts: result.rounds });
      await attacker.next((e) => e.type === 'heartbeat_ack', 'the heartbeat answer', 10_000);
      result.copyAnswers += attacker.pending.filter((e: { id?: string }) => e.id === 'h').length;
      // Resends in 400 separate frames (24 MB of answers), never read: the output budget cuts the socket.
      const raw = (attacker.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      raw.pause();
      for (let i = 0; i < 400; i++) attacker.send({ type: 'command', id: 'h', name: 'HISTORY' });
      // Reading again after the server's grace period shows how it ended (4008, or 1006 if terminated).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      raw.resume();
      const closed = await withTimeout(attacker.closed, 10_000, 'the attacker to be cut').catch(() => ({
        code: 0,
      }));
      if (closed.code === 4008 || closed.code === 1006) result.budgetCloses++;
      attacker.terminate();
      if (result.halfRequests < HALF_REQUESTS) {
        result.halfRequests++;
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.resume();
        socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
        halfClosed.push(
          withTimeout(
            new Promise<void>((resolve) => socket.once('close', () => resolve())),
            8000,
            'half request',
          ).then(
            () => void result.halfRequestsClosed++,
            () => void socket.destroy(),
          ),
        );
      }
      options.onProgress?.(
        `attack: round ${result.rounds}, ${result.budgetCloses} cut 4008, witness ${result.witnessAcked}/${result.witnessSent}`,
      );
    }
    await Promise.all(halfClosed);
  } finally {
    clearInterval(trickle);
  }
  // Let the witness's last answers arrive (bounded), then read the server's own figures.
  const until = Date.now() + 3000;
  while (result.witnessAcked < result.witnessSent && Date.now() < until && !exited)
    await new Promise((resolve) => setTimeout(resolve, 20));
  result.serverExited = exited;
  if (!exited) {
    child.stdin.write('stats\n');
    const stats = JSON.parse(await line()) as { peakRss: number; errors: string[] };
    result.peakRssMb = Math.round(stats.peakRss / 2 ** 20);
    result.errorEvents = stats.errors.length;
    await witness.close();
    child.stdin.end();
    await withTimeout(
      new Promise((resolve) => child.once('exit', resolve)),
      5000,
      'the attack server to exit',
    );
  }
  return result;
}
