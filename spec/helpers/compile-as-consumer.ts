import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** One TypeScript module to compile, and how a diagnostic's line in it is named in the report. */
export interface ConsumerSource {
  code: string;
  where: (line: number) => string;
}

/**
 * Compiles `sources` as an app that installed the package would: strict,
 * module nodenext, against the built `dist/` types. The files are written
 * inside the package (under `.tmp/`, ignored), where `rx-reliable-ws`
 * resolves to this package by its own name through package.json "exports".
 * `ambient` is a global declaration file (what the app around the code has).
 * Returns one line per diagnostic; empty when everything compiles.
 */
export function compileAsConsumer(sources: ConsumerSource[], ambient = ''): string[] {
  const dir = join(ROOT, '.tmp', `consumer-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = sources.map((source, i) => {
      const name = join(dir, `source-${i}.mts`);
      // Each source is its own module (one without import/export would otherwise share a global scope).
      writeFileSync(name, `${source.code}\nexport {};\n`);
      return { name, source };
    });
    const context = join(dir, 'ambient.d.ts');
    writeFileSync(context, ambient);
    const program = ts.createProgram([context, ...files.map((f) => f.name)], {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      types: ['node'],
      skipLibCheck: true,
      experimentalDecorators: true,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const file = files.find((f) => f.name === d.file?.fileName);
      if (!file || d.start === undefined) return `TS${d.code}: ${text}`;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
      return `${file.source.where(line)} TS${d.code}: ${text}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
