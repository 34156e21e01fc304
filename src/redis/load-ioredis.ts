import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The `ioredis` constructor, typed loosely so the entry builds without its types at run time. */
export type IORedisConstructor = typeof import('ioredis').default;

export const IOREDIS_INSTALL = 'npm install ioredis@^6';

/**
 * Loads the optional peer dependency `ioredis`; without it, throws an error
 * naming the install command. Runs when `rx-reliable-ws/redis` is imported.
 */
export function loadIoredis(): IORedisConstructor {
  let loaded: { default?: IORedisConstructor } & IORedisConstructor;
  try {
    // CommonJS (the published entry) has `require`; elsewhere resolve from the app's directory.
    const load = typeof require === 'function' ? require : createRequire(join(process.cwd(), 'index.js'));
    loaded = load('ioredis') as typeof loaded;
  } catch (cause) {
    throw new Error(
      `rx-reliable-ws/redis needs the optional peer dependency ioredis; install it with \`${IOREDIS_INSTALL}\`.`,
      { cause },
    );
  }
  return loaded.default ?? loaded;
}
