import typescript from '@rollup/plugin-typescript';
import { dts } from 'rollup-plugin-dts';

// Everything from npm and Node stays external: rxjs is a peer, ws and localforage are dependencies.
const external = (id) => /^(rxjs|ws|localforage)(\/|$)/.test(id) || id.startsWith('node:');

const input = {
  index: 'src/index.ts',
  node: 'src/node.ts',
  server: 'src/server/index.ts',
  cli: 'src/cli/index.ts',
};

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
];
