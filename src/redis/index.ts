// rx-reliable-ws/redis: many server nodes on one Redis (DESIGN §7). Node only; needs the optional peer ioredis.
import { loadIoredis } from './load-ioredis';

loadIoredis(); // fails here, naming the install command, when ioredis is missing

export { redisBackend } from './redis-backend';
export type { RedisBackendOptions } from './redis-backend';
export { RedisDedupeStore } from './redis-dedupe-store';
export type { RedisDedupeStoreOptions } from './redis-dedupe-store';
export { RedisInboundLog } from './redis-inbound-log';
export { RedisSessionDirectory } from './redis-session-directory';
export type { RedisSessionDirectoryOptions } from './redis-session-directory';
export type { RedisInboundLogOptions } from './redis-inbound-log';
export { IoredisPort } from './ioredis-port';
export type { IoredisPortOptions } from './ioredis-port';
export type { RedisPort, RedisScript, RedisArg } from './redis-port';
export type {
  ServerBackend,
  BackendHealth,
  BackendNode,
  BackendPush,
  SessionDirectory,
  SessionDirectoryNode,
} from '../server/index';
