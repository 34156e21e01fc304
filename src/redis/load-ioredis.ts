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
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('ioredis') as typeof loaded;
  } catch (cause) {
    throw new Error(
      `rx-reliable-ws/redis needs the optional peer dependency ioredis; install it with \`${IOREDIS_INSTALL}\`.`,
      { cause },
    );
  }
  return loaded.default ?? loaded;
}
