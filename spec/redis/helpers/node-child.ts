/**
 * One server node of the scale-out specs:
 * `node --import tsx spec/redis/helpers/node-child.ts REDIS_URL PORT SIDE_FILE LEASE_MS [HANDLER_MS]`.
 *
 * The reference server on PORT with `redisBackend`. Its `ORDER` handler
 * appends `<messageId> <pid>` to SIDE_FILE with a synchronous write (the
 * order's effect: a kill -9 cannot lose it), waits 0-HANDLER_MS ms (default 4) and answers
 * `{ order, node: pid }`. With `FILLS_FILE` in the environment the handler
 * first publishes a `FILL` on the principal's stream and, once `publish()`
 * resolved, appends `<seq>` to FILLS_FILE (what the client must receive).
 * With `FILL_REJECTED=skip` too, a rejected `publish()` (Redis down) leaves the
 * fill out and the order still answers; otherwise the handler throws.
 * Prints `listening <port>`, and `backend up|down <detail>` on each health change. Killed by the parent; a safety limit ends it
 * after 120 s.
 */
import { appendFileSync } from 'node:fs';
import { redisBackend } from '../../../src/redis/index';
import { ReliableWebSocketServer } from '../../../src/server/index';

const [url, portText, sideFile, leaseText, handlerText] = process.argv.slice(2);
const handlerMs = Number(handlerText ?? 4);
const fillsFile = process.env['FILLS_FILE'];
const skipRejectedFill = process.env['FILL_REJECTED'] === 'skip';
if (!url || !portText || !sideFile) throw new Error('usage: node-child.ts REDIS_URL PORT SIDE_FILE LEASE_MS');

const server = new ReliableWebSocketServer({
  port: Number(portText),
  heartbeatInterval: 0,
  backend: redisBackend({ url, leaseMs: Number(leaseText ?? 1000), commandTimeoutMs: 500 }),
});
server.handle('ORDER', async (_payload, ctx) => {
  appendFileSync(sideFile, `${ctx.messageId} ${process.pid}\n`);
  if (fillsFile !== undefined) {
    try {
      const { seq } = await server.publish(`principal:${ctx.principal}`, 'FILL', { order: ctx.messageId });
      appendFileSync(fillsFile, `${seq}\n`);
    } catch (error) {
      if (!skipRejectedFill) throw error; // not known to be published: not one the client must get
    }
  }
  await new Promise((resolve) => setTimeout(resolve, Math.random() * handlerMs));
  return { order: `ord-${ctx.messageId}`, node: process.pid };
});
server.events$.subscribe((event) => {
  if (event.type === 'backend')
    process.stdout.write(`backend ${event.healthy ? 'up' : 'down'} ${event.detail}\n`);
});
server.listen().then(
  ({ port }) => process.stdout.write(`listening ${port}\n`),
  (error: unknown) => {
    process.stderr.write(`listen failed: ${String(error)}\n`);
    process.exit(1);
  },
);
setTimeout(() => process.exit(3), 120_000).unref();
