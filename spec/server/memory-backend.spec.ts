import { filter, firstValueFrom } from 'rxjs';
import { MemoryBackendHub } from '../../src/server/index';
import { RawClient } from '../helpers/raw-client';
import { useServers } from '../helpers/server-fixture';

const start = useServers();

describe('MemoryBackendHub: several servers in one process on shared state', () => {
  it('answers a resend on another node from the shared dedupe store, without running the handler again', async () => {
    const hub = new MemoryBackendHub();
    const [a, b] = [await start({ backend: hub.backend() }), await start({ backend: hub.backend() })];
    let runs = 0;
    for (const { server } of [a, b]) server.handle('ORDER', () => ({ order: ++runs }));
    const onA = await RawClient.connect(a.url, 'desk-1');
    onA.message('m1', 'ORDER');
    expect(await onA.next()).toEqual({ type: 'ack', id: 'm1', response: { order: 1 } });
    await onA.close();
    const onB = await RawClient.connect(b.url, 'desk-1');
    onB.message('m1', 'ORDER');
    expect(await onB.next()).toEqual({ type: 'ack', id: 'm1', response: { order: 1 } });
    expect(runs).toBe(1);
    await onB.close();
  });

  it('sends what one node publishes to a session on another (one shared inbound log)', async () => {
    const hub = new MemoryBackendHub();
    const [a, b] = [await start({ backend: hub.backend() }), await start({ backend: hub.backend() })];
    const client = await RawClient.open(b.url);
    client.send({ type: 'connect', v: 1, clientId: 'desk-1', streams: [] });
    expect((await client.next((e) => e.type === 'connect')).streams).toEqual([
      { stream: 'principal:anonymous', epoch: hub.inboundLog.epoch, seq: 0, resumed: false, reason: 'NEW' },
    ]);
    expect(await a.server.publish('principal:anonymous', 'FILL', { qty: 1 })).toEqual({
      stream: 'principal:anonymous',
      seq: 1,
    });
    expect(await client.next((e) => e.type === 'stream')).toMatchObject({ seq: 1, payload: { qty: 1 } });
    await client.close();
  });

  it('reports a simulated loss of the shared state as health, in stats() and events$', async () => {
    const hub = new MemoryBackendHub();
    const { server } = await start({ backend: hub.backend() });
    const lost = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'backend')));
    hub.setReachable(false);
    expect(await lost).toMatchObject({ type: 'backend', healthy: false });
    expect(server.stats().backend).toMatchObject({ healthy: false });
    hub.setReachable(true);
    expect(server.stats().backend).toMatchObject({ healthy: true, detail: 'ok' });
  });
});
