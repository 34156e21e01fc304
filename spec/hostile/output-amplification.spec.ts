import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { RawClient, withTimeout } from '../helpers/raw-client';

const ROOT = path.resolve(__dirname, '../..');
const KEY = 'amplification-key';
const RESPONSE_BYTES = 60_000;
const COPIES = 10_000;
/**
 * Peak RSS of the server process, everything included (node, tsx, the 60 KB
 * answer). Before the fix the frame below took it past 1 GB and then killed it.
 */
const RSS_BOUND_BYTES = 256 * 1024 * 1024;

interface ChildStats {
  peakRss: number;
  errors: string[];
  stats: { duplicates: number; messagesHandled: number };
}

class ServerChild {
  private readonly lines: Interface;
  private readonly iterator: AsyncIterator<string>;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  private constructor(readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.iterator = this.lines[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static async start(): Promise<{ child: ServerChild; url: string }> {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', 'spec/helpers/output-attack-child.ts', KEY, String(RESPONSE_BYTES)],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const child = new ServerChild(proc);
    const first = await withTimeout(child.line(), 10_000, 'the server child to listen');
    const port = /^listening (\d+)$/.exec(first)?.[1];
    if (port === undefined) throw new Error(`server child said ${first}`);
    return { child, url: `ws://127.0.0.1:${port}` };
  }

  async line(): Promise<string> {
    const next = await this.iterator.next();
    if (next.done) throw new Error(`the server child ended (exit code ${String(this.exitCode)})`);
    return next.value;
  }

  async stats(): Promise<ChildStats> {
    this.child.stdin!.write('stats\n');
    return JSON.parse(await withTimeout(this.line(), 5000, 'stats from the child')) as ChildStats;
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await withTimeout(this.exited, 5000, 'the server child to exit');
  }
}

let server: ServerChild | undefined;
afterEach(async () => {
  if (server?.exitCode === undefined) await server?.stop();
  server = undefined;
});

describe('ReliableWebSocketServer (defaults, only apiKeys) against one frame of 10,000 copies of an answered id', () => {
  it('answers the frame once, survives, stays under the RSS bound and still serves a fresh client', async () => {
    const started = await ServerChild.start();
    server = started.child;
    const attacker = await RawClient.connect(started.url, 'attacker', KEY);
    attacker.send({ type: 'command', id: 'h1', name: 'HISTORY' });
    const first = await attacker.next((e) => e.id === 'h1', 'the first answer', 5000);
    expect(first.type).toBe('ack');
    expect(first.response.history).toHaveLength(RESPONSE_BYTES);
    const before = await server.stats();

    const frame = JSON.stringify(
      Array.from({ length: COPIES }, () => ({ type: 'command', id: 'h1', name: 'HISTORY' })),
    );
    expect(frame.length).toBeGreaterThan(400_000); // ~410 KB, well under maxPayload (1 MiB)
    attacker.send(frame);
    // Frames are handled in order: once the heartbeat's answer is in, every answer to the frame is too.
    attacker.send({ type: 'heartbeat', ts: 1 });
    await attacker.next((e) => e.type === 'heartbeat_ack', 'the heartbeat answer', 10_000);
    const answers = attacker.pending.filter((e: { id?: string }) => e.id === 'h1');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toEqual(first);

    const after = await server.stats();
    console.log(
      `10,000-copy frame with a ${RESPONSE_BYTES}-byte answer: ${answers.length} answer, peak RSS ` +
        `${(before.peakRss / 2 ** 20).toFixed(0)} MiB before, ${(after.peakRss / 2 ** 20).toFixed(0)} MiB after ` +
        `(bound ${RSS_BOUND_BYTES / 2 ** 20} MiB); duplicates counted ${after.stats.duplicates}`,
    );
    expect(server.exitCode).toBeUndefined();
    expect(after.peakRss).toBeLessThan(RSS_BOUND_BYTES);
    expect(after.stats.duplicates).toBeGreaterThanOrEqual(COPIES);
    expect(after.stats.messagesHandled).toBe(1);
    expect(after.errors).toEqual([]);

    const fresh = await RawClient.connect(started.url, 'fresh', KEY);
    fresh.send({ type: 'command', id: 'f1', name: 'HISTORY' });
    expect((await fresh.next((e) => e.id === 'f1', 'an answer to a fresh client', 5000)).type).toBe('ack');
    await fresh.close();
    await attacker.close();
  });
});
