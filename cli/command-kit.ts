import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { resolveClientTls } from './client-tls.js';
import type { ClientTls } from './client-tls.js';
import { resolveToken } from './events.js';

/**
 * What every command registration uses: the action wrapper that carries an exit code back to
 * `main`, the options of the API commands, and argument parsers that name the accepted range.
 */

export { DEFAULT_GRPC_LISTEN as DEFAULT_GRPC_ADDR, DEFAULT_HTTP_LISTEN as DEFAULT_HTTP_ADDR } from '../core/config.js';
import { DEFAULT_GRPC_LISTEN as DEFAULT_GRPC_ADDR, DEFAULT_HTTP_LISTEN as DEFAULT_HTTP_ADDR } from '../core/config.js';

/** The options of a command that talks to the core over TLS. */
export interface TlsOpts {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** The options of a command that calls the gRPC API. */
export interface ApiOpts extends TlsOpts {
  readonly server: string;
  readonly tokenFile?: string;
}

const exitCodes = new WeakMap<Command, number>();

function rootOf(command: Command): Command {
  let c = command;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * An action for `Command.action`: calls `handler(opts, args)` with the command's parsed
 * options and its arguments (in declared order) and records the exit code it returns.
 */
export function act<O>(
  handler: (opts: O, args: string[]) => Promise<number>,
): (...actionArgs: unknown[]) => Promise<void> {
  return async (...actionArgs: unknown[]) => {
    const command = actionArgs.at(-1) as Command;
    const args = (command.processedArgs as (string | string[] | undefined)[]).flatMap((a) =>
      a === undefined ? [] : Array.isArray(a) ? a : [a],
    );
    exitCodes.set(rootOf(command), await handler(command.opts<O & Record<string, unknown>>(), args));
  };
}

/** The exit code the action of `program` recorded (0 when none ran, e.g. after --help). */
export function exitCodeOf(program: Command): number {
  return exitCodes.get(program) ?? 0;
}

/** --ca, --cert, --key. */
export function withTlsOptions(command: Command): Command {
  return command
    .option('--ca <file>', "the CA that signed the core's certificate (else ZEBRA_CA_FILE); the API is TLS only")
    .option('--cert <file>', 'a client certificate, when the core asks for one (else ZEBRA_CERT_FILE)')
    .option('--key <file>', "the client certificate's key (else ZEBRA_KEY_FILE)");
}

/** --server, --token-file (unless `token` is false) and the TLS options. */
export function withApiOptions(command: Command, token = true): Command {
  command.addOption(
    new Option('--server <host:port>', 'the core gRPC API').env('ZEBRA_GRPC_ADDR').default(DEFAULT_GRPC_ADDR),
  );
  if (token) command.option('--token-file <file>', 'your API token (else ZEBRA_TOKEN or ZEBRA_TOKEN_FILE)');
  return withTlsOptions(command);
}

/** --http HOST:PORT for commands that read the core's HTTPS endpoints. */
export function withHttpOption(command: Command): Command {
  return command.addOption(
    new Option('--http <host:port>', "the core's HTTPS address").env('ZEBRA_HTTP_ADDR').default(DEFAULT_HTTP_ADDR),
  );
}

/** The client TLS settings from the options (or the environment). */
export function clientTls(opts: TlsOpts): Promise<ClientTls> {
  return resolveClientTls(opts, process.env);
}

/** An API client with the caller's token (none when `token` is false), over TLS. */
export async function openApi(opts: ApiOpts, token = true): Promise<ApiClient> {
  const tls = await clientTls(opts);
  return new ApiClient(opts.server, token ? await resolveToken(opts.tokenFile, process.env) : undefined, tls);
}

/** Runs `work` on an API client and closes it. */
export async function withApi<T>(opts: ApiOpts, work: (client: ApiClient) => Promise<T>, token = true): Promise<T> {
  const client = await openApi(opts, token);
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/** An argument parser for a whole number in [min, max]; the error names the range. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/** An argument parser for a positive number of seconds up to `max`. */
export function seconds(max: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!(n > 0 && n <= max)) throw new InvalidArgumentError(`must be a number of seconds from 1 to ${max}`);
    return n;
  };
}

/** A repeatable option's collector: `--host a --host b` gives ['a', 'b']. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
