import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { withTimeout } from '../helpers/raw-client';
import { seededRandom } from '../../src/cli/seeded-random';

const ROOT = resolve(__dirname, '../..');
const SEED = 20_240_611;

type Answer =
  | { type: 'ack'; response: { order: string; run: number }; round: number }
  | { type: 'nack'; code: string; round: number };

interface Rig {
  dir: string;
  sideFile: string;
  port: number;
  answers: Map<string, Answer>;
}

let rig: Rig;
let child: ChildProcess | undefined;
beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'rxws-kill-'));
  rig = { dir, sideFile: join(dir, 'processed.log'), port: 0, answers: new Map() };
});
afterEach(() => {
  child?.kill('SIGKILL');
  rmSync(rig.dir, { recursive: true, force: true });
});

/** Starts the server child on the rig's dir and port; resolves once it listens (and remembers the port). */
async function startChild(run: number, killAfter: number): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'spec/helpers/dedupe-server-child.ts',
      join(rig.dir, 'store'),
      String(rig.port),
      rig.sideFile,
      String(run),
      String(killAfter),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child = proc;
  const line = await withTimeout(
    createInterface({ input: proc.stdout! })[Symbol.asyncIterator]().next(),
    8000,
    'the server child to listen',
  );
  const match = /^listening (\d+)$/.exec(String(line.value));
  if (!match) throw new Error(`server child said ${String(line.value)}`);
  rig.port = Number(match[1]);
  return proc;
}

/**
 * One client session against the child, as the library's client behaves:
 * same clientId every time, resends every id without a final answer, at most
 * `window` in flight. Resolves when all are answered or the socket dies.
 */
function session(
  ids: readonly string[],
  window: number,
  round: number,
  onOpen: () => void = () => undefined,
): Promise<void> {
  const todo = ids.filter((id) => !rig.answers.has(id));
  return withTimeout(
    new Promise<void>((done) => {
      const ws = new WebSocket(`ws://127.0.0.1:${rig.port}`);
      let next = 0;
      let inFlight = 0;
      const pump = (): void => {
        while (inFlight < window && next < todo.length) {
          inFlight++;
          ws.send(JSON.stringify({ type: 'data', id: todo[next++], name: 'ORDER', payload: {} }));
        }
        if (inFlight === 0 && next === todo.length) ws.close();
      };
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connect', v: 1, clientId: 'trader' })));
      ws.on('message', (data) => {
        const frame: unknown = JSON.parse(data.toString());
        for (const e of (Array.isArray(frame) ? frame : [frame]) as Array<Record<string, any>>) {
          if (e['type'] === 'connect') {
            onOpen();
          } else if (e['type'] === 'ack') {
            for (const id of e['ids'] ?? [e['id']])
              rig.answers.set(id, { type: 'ack', response: e['response'], round });
            inFlight -= (e['ids'] ?? [e['id']]).length;
          } else if (e['type'] === 'nack') {
            rig.answers.set(e['id'], { type: 'nack', code: e['code'], round });
            inFlight--;
          } else continue;
          pump();
        }
      });
      ws.on('close', () => done());
    }),
    8000,
    `session ${round}`,
  );
}

/** Handler runs per id, and the run that did each, from the side file. */
function processed(): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  if (!existsSync(rig.sideFile)) return runs;
  for (const line of readFileSync(rig.sideFile, 'utf8').split('\n')) {
    if (line === '') continue;
    const [id, run] = line.split(' ');
    runs.set(id!, [...(runs.get(id!) ?? []), Number(run)]);
  }
  return runs;
}

async function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null)
    await new Promise((resolve) => proc.once('exit', resolve));
}

/** Every id answered; none processed twice; each ack carries the result of the one run that processed it. */
function verify(ids: readonly string[]): { acked: number; remembered: number; unknown: number } {
  const runs = processed();
  let remembered = 0;
  let unknown = 0;
  for (const id of ids) {
    const answer = rig.answers.get(id);
    const ran = runs.get(id) ?? [];
    expect({ id, times: ran.length <= 1 }).toEqual({ id, times: true });
    if (answer?.type === 'ack') {
      expect({ id, ran, response: answer.response }).toEqual({
        id,
        ran: [answer.response.run],
        response: { order: `ord-${id}`, run: ran[0] },
      });
      if (answer.response.run < answer.round) remembered++;
    } else {
      expect({ id, answer }).toEqual({
        id,
        answer: { type: 'nack', code: 'OUTCOME_UNKNOWN', round: expect.any(Number) },
      });
      unknown++;
    }
  }
  return { acked: ids.length - unknown, remembered, unknown };
}

/** Each case starts 4 server children through tsx (~1 s each on a loaded 2-core machine): jest's 5 s default is too short. */
const CHILD_RUNS_TIMEOUT_MS = 30_000;

describe('FileDedupeStore across server kills (kill -9 of a child server process)', () => {
  it(
    'killed after an outcome is durable and before its ack: the resend gets the remembered result, nothing runs twice',
    async () => {
      const random = seededRandom(SEED);
      const ids = Array.from({ length: 60 }, (_, i) => `m${i + 1}`);
      const KILLS = 3;
      for (let run = 1; run <= KILLS + 1; run++) {
        const killAfter = run <= KILLS ? 3 + Math.floor(random() * 10) : 0;
        const proc = await startChild(run, killAfter);
        await session(ids, 1, run);
        if (killAfter > 0) {
          await exited(proc);
          expect(proc.signalCode).toBe('SIGKILL');
        } else {
          proc.kill('SIGTERM');
          await exited(proc);
        }
      }
      const counts = verify(ids);
      console.log(
        `kill after durable outcome: ${KILLS} kills, ${ids.length} messages, ${counts.acked} acked, ${counts.remembered} answered from the journal after a restart, ${counts.unknown} OUTCOME_UNKNOWN, 0 processed twice`,
      );
      expect(counts).toEqual({ acked: ids.length, remembered: KILLS, unknown: 0 });
    },
    CHILD_RUNS_TIMEOUT_MS,
  );

  it(
    'killed at random moments with 8 in flight: never processed twice; acked ids ran exactly once; the rest are OUTCOME_UNKNOWN',
    async () => {
      const random = seededRandom(SEED + 1);
      const ids = Array.from({ length: 150 }, (_, i) => `r${i + 1}`);
      const KILLS = 3;
      for (let run = 1; run <= KILLS + 1; run++) {
        const proc = await startChild(run, 0);
        let timer: NodeJS.Timeout | undefined;
        const killAt = 5 + random() * 40;
        await session(ids, 8, run, () => {
          if (run <= KILLS) timer = setTimeout(() => proc.kill('SIGKILL'), killAt);
        });
        clearTimeout(timer);
        proc.kill('SIGKILL');
        await exited(proc);
      }
      const counts = verify(ids);
      console.log(
        `random kills: ${KILLS} kills, ${ids.length} messages, ${counts.acked} acked, ${counts.remembered} answered from the journal after a restart, ${counts.unknown} OUTCOME_UNKNOWN, 0 processed twice`,
      );
      expect(counts.acked + counts.unknown).toBe(ids.length);
      expect(counts.unknown).toBeLessThanOrEqual(KILLS * 8);
    },
    CHILD_RUNS_TIMEOUT_MS,
  );
});
