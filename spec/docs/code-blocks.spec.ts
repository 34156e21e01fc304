import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureDist } from '../browser/helpers/dist-build';
import { compileAsConsumer } from '../helpers/compile-as-consumer';

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
declare const apiKeys: string[];
declare const principal: string;
declare const report: unknown;
declare const client: import('rx-reliable-ws').ReliableWebSocketClient;
declare const trader: import('rx-reliable-ws').TradingClient;
declare function applyFill(report: unknown, redelivered?: boolean): void;
declare function reloadPositions(reason: string): void;
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
    const problems = compileAsConsumer(
      checked.map((block) => ({
        code: block.code,
        where: (line) => `${relative(ROOT, block.file)}:${block.line + 1 + line}`,
      })),
      APP_CONTEXT,
    );
    expect(problems).toEqual([]);
  }, 60_000);
});
