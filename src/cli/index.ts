import { demo } from './demo';
import { serve } from './serve';

const HELP = `rx-reliable-ws <command>

Commands:
  serve --port 8080 --api-key KEY   run the reference server with a TRADE_SIGNAL handler
  demo [--signals N] [--rate N] [--seed N] [--quiet]
                                    server + flaky link + trading client; prints lost/duplicated
  help                              this text`;

/** The CLI entry; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      await serve(rest);
      return 0;
    case 'demo':
      return demo(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      console.error(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
      return 2;
  }
}
