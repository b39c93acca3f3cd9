import { Command, CommanderError } from 'commander';
import { exitCodeOf } from './command-kit.js';
import { registerApi } from './commands/api.js';
import { registerEdge } from './commands/edge.js';
import { registerOperations } from './commands/operations.js';
import { registerServices } from './commands/services.js';
import { printError } from './output.js';

const ENVIRONMENT = `
API commands take --server HOST:PORT (gRPC), --token-file FILE and --ca FILE (the CA that signed the
core's certificate; the API is TLS only), plus --cert FILE --key FILE when the core asks for client
certificates.

environment: ZEBRA_MODELS_MIRROR, ZEBRA_CACHE_DIR, ZEBRA_NATS_URL, ZEBRA_DATABASE_URL, ZEBRA_GRPC_ADDR,
             ZEBRA_HTTP_ADDR, ZEBRA_TOKEN, ZEBRA_TOKEN_FILE, ZEBRA_CA_FILE, ZEBRA_CERT_FILE, ZEBRA_KEY_FILE`;

/** Exit code for a command line the CLI does not understand (unknown command or option, bad value). */
export const USAGE_EXIT_CODE = 2;

/**
 * The whole command tree. A command is one registration: `group.command(name)`, its
 * description, arguments and options (each with help), and `.action(act(handler))` where the
 * handler takes `(options, args)` and returns the exit code.
 */
export function buildProgram(): Command {
  const program = new Command('zebra')
    .description('zebra: pedestrian-crossing infractions from edge cameras to a reviewed, audited core')
    .exitOverride()
    .showHelpAfterError(true)
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => void process.stdout.write(text),
      writeErr: (text) => void process.stderr.write(text),
      outputError: (text, write) => write(`zebra: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText('after', ENVIRONMENT);
  registerServices(program);
  registerEdge(program);
  registerApi(program);
  registerOperations(program);
  return program;
}

/** Runs one CLI command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, --version: a success. A group without its subcommand prints its help.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return USAGE_EXIT_CODE;
    }
    printError(err);
    return 1;
  }
}
