#!/usr/bin/env node
'use strict';
// The CLI runs from the built package (`npm run build`; `npm start` and `npm pack` build it).
let cli;
try {
  cli = require('../dist/cli.cjs');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    console.error('rx-reliable-ws: dist/ is missing; run `npm run build` first.');
    process.exit(1);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (error) => {
    console.error(`rx-reliable-ws: ${error && error.message ? error.message : error}`);
    process.exit(1);
  },
);
