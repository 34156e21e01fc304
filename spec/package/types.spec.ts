import { ensureDist } from '../browser/helpers/dist-build';
import { compileAsConsumer } from '../helpers/compile-as-consumer';

/** What an app compiles against the published types (strict, nodenext), line by line of `code`. */
const check = (code: string): string[] => compileAsConsumer([{ code, where: (line) => `line ${line + 1}` }]);

describe('the published types', () => {
  beforeAll(() => ensureDist(), 180_000);

  it('export every type a public signature uses: FileStorageAdapterOptions from both entries', () => {
    expect(
      check(`
import { FileStorageAdapter, type FileStorageAdapterOptions } from 'rx-reliable-ws';
import { FileDedupeStore, type FileDedupeStoreOptions, type FileStorageAdapterOptions as Options } from 'rx-reliable-ws/server';
const options: FileStorageAdapterOptions = { fsync: false, compactRatio: 0.5 };
const adapter = new FileStorageAdapter('/tmp/x', options);
const store: FileDedupeStoreOptions = { storage: options satisfies Options };
void adapter; void store; void FileDedupeStore;
`),
    ).toEqual([]);
  }, 60_000);

  it("type DeliveryResult.error with the library's error base class (its code), and take ws as WebSocketCtor without a cast", () => {
    expect(
      check(`
import { ReliableWebSocketClient, ReliableWebSocketError, type DeliveryResult } from 'rx-reliable-ws';
import { WebSocket } from 'ws';
declare const result: DeliveryResult;
const code: string | undefined = result.error?.code;
const base: ReliableWebSocketError | undefined = result.error;
const client = new ReliableWebSocketClient('ws://127.0.0.1:1', { WebSocketCtor: WebSocket });
client.addEventListener('messageFailed', (e) => console.log(e.detail.error.code));
void code; void base;
`),
    ).toEqual([]);
  }, 60_000);
});
