import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

// Everything from npm and Node stays external: rxjs and ioredis (optional) are peers, ws and localforage are dependencies.
const external = (id) => /^(rxjs|ws|localforage|ioredis)(\/|$)/.test(id) || id.startsWith('node:');

const input = {
  index: 'src/index.ts',
  node: 'src/node.ts',
  server: 'src/server/index.ts',
  cli: 'src/cli/index.ts',
};

// rx-reliable-ws/redis: CommonJS only (its ESM import is Node's CJS interop), so loading the optional peer
// ioredis can fail with an error naming the install; it uses the server entry's build, not a copy of it.
const serverEntry = (id) => /[\\/]src[\\/]server[\\/]index(\.ts)?$/.test(id);
const redisExternal = (id) => external(id) || serverEntry(id);

export default [
  {
    input,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.build.json', outputToFilesystem: true })],
    output: [
      {
        dir: 'dist',
        format: 'es',
        entryFileNames: '[name].mjs',
        chunkFileNames: 'chunks/[name]-[hash].mjs',
        sourcemap: true,
      },
      {
        dir: 'dist',
        format: 'cjs',
        entryFileNames: '[name].cjs',
        chunkFileNames: 'chunks/[name]-[hash].cjs',
        sourcemap: true,
      },
    ],
  },
  {
    input: { redis: 'src/redis/index.ts' },
    external: redisExternal,
    plugins: [typescript({ tsconfig: './tsconfig.build.json', outputToFilesystem: true })],
    output: {
      dir: 'dist',
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/redis-[name]-[hash].cjs',
      sourcemap: true,
      paths: (id) => (serverEntry(id) ? './server.cjs' : id),
    },
  },
  {
    input: { index: 'src/index.ts', node: 'src/node.ts', server: 'src/server/index.ts' },
    external,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    // A dts warning (a public signature using a type no entry exports) means consumers hit TS2742
    // or lose the type: the build fails instead of printing it on every run.
    onwarn(warning, warn) {
      if (warning.plugin === 'dts') throw new Error(`rollup-plugin-dts: ${warning.message}`);
      warn(warning);
    },
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].d.ts',
      chunkFileNames: 'chunks/[name]-[hash].d.ts',
    },
  },
  {
    input: { redis: 'src/redis/index.ts' },
    external: redisExternal,
    plugins: [dts({ tsconfig: './tsconfig.build.json' })],
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].d.ts',
      paths: (id) => (serverEntry(id) ? './server' : id),
    },
  },
];
