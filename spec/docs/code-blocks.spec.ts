import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ensureDist } from '../browser/helpers/dist-build';

const ROOT = join(__dirname, '..', '..');

/**
 * What the examples take from the app around them: declared once here, so the
 * blocks stay as a reader copies them. Anything from the library must be imported
 * by the block itself.
 */
const APP_CONTEXT = `
declare const url: string;
declare const apiKey: string;
declare const session: { token: string };
declare const banner: HTMLElement;
declare const button: HTMLButtonElement;
declare const form: { value: unknown };
declare function toast(text: string): void;
declare function showHint(text: string): void;
declare function placeOrder(signal: unknown, clientId?: string): Promise<{ id: string }>;
declare class AuthService {
  token(): string;
}
`;

/** One fenced code block of a Markdown file. */
interface Block {
  file: string;
  line: number;
  info: string;
  code: string;
}

/** Every fenced block with its info string (`ts`, `ts nocheck`, `bash` ...). */
function blocksOf(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  let open: { line: number; info: string; body: string[] } | undefined;
  lines.forEach((text, i) => {
    const fence = /^```(.*)$/.exec(text);
    if (!fence) return open?.body.push(text);
    if (open) {
      blocks.push({ file, line: open.line, info: open.info, code: open.body.join('\n') });
      open = undefined;
    } else {
      open = { line: i + 1, info: fence[1]!.trim(), body: [] };
    }
  });
  return blocks;
}

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((f) => join('docs', f))]
  .filter((f) => f.endsWith('.md'))
  .map((f) => join(ROOT, f));
const all = docs.flatMap(blocksOf);
/** `ts` blocks are compiled; `ts nocheck` marks an intentional fragment (keep those rare). */
const checked = all.filter((b) => b.info === 'ts' || b.info === 'typescript');
const fragments = all.filter((b) => /^(ts|typescript)\s+nocheck$/.test(b.info));

describe('TypeScript code blocks in README.md and docs/*.md', () => {
  it('every TypeScript block is either checked (`ts`) or a marked fragment (`ts nocheck`), and fragments are rare', () => {
    const unknown = all.filter(
      (b) => /^(ts|typescript)\b/.test(b.info) && !checked.includes(b) && !fragments.includes(b),
    );
    expect(unknown.map((b) => `${relative(ROOT, b.file)}:${b.line} \`\`\`${b.info}`)).toEqual([]);
    expect(checked.length).toBeGreaterThan(5);
    expect(fragments.length).toBeLessThanOrEqual(Math.ceil(checked.length / 4));
  });

  beforeAll(() => ensureDist(), 180_000); // the package as built from src/ now

  it('compile under strict tsc (module nodenext) against the built package types', () => {
    // Inside the package (under .tmp/, ignored): `rx-reliable-ws` resolves to this package by its own
    // name through package.json "exports", exactly as in an app that installed it.
    const dir = join(ROOT, '.tmp', `code-blocks-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const files = checked.map((block, i) => {
        const name = join(
          dir,
          `${relative(ROOT, block.file).replace(/[^A-Za-z0-9]/g, '_')}_${block.line}_${i}.mts`,
        );
        // Each block is its own module (a block without import/export would otherwise share a global scope).
        writeFileSync(name, `${block.code}\nexport {};\n`);
        return { name, block };
      });
      const context = join(dir, 'app-context.d.ts');
      writeFileSync(context, APP_CONTEXT);
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
      const problems = ts.getPreEmitDiagnostics(program).map((d) => {
        const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        const source = files.find((f) => f.name === d.file?.fileName);
        if (!source || d.start === undefined) return `TS${d.code}: ${text}`;
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start);
        const where = `${relative(ROOT, source.block.file)}:${source.block.line + 1 + line}`;
        return `${where} TS${d.code}: ${text}`;
      });
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
