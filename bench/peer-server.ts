import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { ServerMode } from './harness';
import type { ProbeSample } from './process-probe';
import { nextMessage } from './next-message';

/** A peer's server, wherever it runs. */
export interface RunningServer {
  port: number;
  close(): Promise<void>;
  /** Set for a server child: its own CPU, GC and allocation between start() and stop(). In process, the client's probe covers both. */
  probe?: { start(): Promise<void>; stop(): Promise<ProbeSample> };
}

/** What the parent and a server child say to each other over IPC. */
export type HostMessage =
  { port: number } | { error: string } | { probe: 'started' } | { probe: 'stopped'; sample: ProbeSample };

/** What a peer module exports so its server can run in a child process too. */
export type StartServer = () => Promise<RunningServer>;

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts a peer's server in this process (`inproc`, how the reference
 * figures were taken: client and server share one CPU budget) or in a child
 * process (`child`: the client's process.cpuUsage is then the client alone,
 * and the two can use both cores). `modulePath` must export `startServer`.
 */
export async function startPeerServer(
  modulePath: string,
  start: StartServer,
  mode: ServerMode,
): Promise<RunningServer> {
  if (mode === 'inproc') return start();
  const child = fork(path.join(__dirname, 'server-host.ts'), [modulePath], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`server child for ${modulePath} did not start within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    child.once('message', (message: HostMessage) => {
      clearTimeout(timer);
      if ('port' in message) resolve(message.port);
      else
        reject(
          new Error(
            `server child for ${modulePath} failed: ${'error' in message ? message.error : 'no port'}`,
          ),
        );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server child for ${modulePath} exited with ${code}`));
    });
  });
  /** One request at a time: the answer is the child's next probe message. */
  const ask = <T>(request: 'start' | 'stop', pick: (message: HostMessage) => T | undefined): Promise<T> => {
    const answer = nextMessage(child, pick, STARTUP_TIMEOUT_MS, `server child, probe ${request}`);
    child.send({ probe: request });
    return answer;
  };
  return {
    port,
    probe: {
      start: () =>
        ask('start', (m) => ('probe' in m && m.probe === 'started' ? true : undefined)).then(() => undefined),
      stop: () => ask('stop', (m) => ('probe' in m && m.probe === 'stopped' ? m.sample : undefined)),
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(killTimer);
          resolve();
        });
        child.disconnect();
      }),
  };
}
