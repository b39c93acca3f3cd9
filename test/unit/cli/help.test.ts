import type { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../../cli/main.js';

/** Runs the CLI in-process: exit code, stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Every command of the tree (groups and leaves), as its path of names, with the command. */
function everyCommand(command: Command, path: string[] = []): [string[], Command][] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[[...path, c.name()], c] as [string[], Command], ...everyCommand(c, [...path, c.name()])]);
}

const commands = everyCommand(buildProgram());

describe('zebra <command> --help', () => {
  it('covers the whole tree', () => {
    const names = commands.map(([path]) => path.join(' '));
    // Those the issue names, so that a lost registration fails here.
    for (const name of [
      'edge replay',
      'events list',
      'devices list',
      'devices revoke',
      'users list',
      'users disable',
      'tokens list',
      'tokens revoke',
      'quarantine list',
      'quarantine show',
      'audit verify',
    ])
      expect(names).toContain(name);
    expect(names.length).toBeGreaterThan(25);
  });

  it.each(commands.map(([path, c]) => [path.join(' '), path, c] as const))(
    '%s --help exits 0 and prints its usage, description and every option',
    async (_name, path, command) => {
      const r = await cli([...path, '--help']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toContain(`Usage: zebra ${path.join(' ')}`);
      expect(command.description().length).toBeGreaterThan(0);
      expect(r.out).toContain(command.description().split('\n')[0]!.slice(0, 40));
      for (const option of command.options) {
        expect(r.out).toContain(option.long);
        expect(option.description.length, `${path.join(' ')} ${option.long} has no help`).toBeGreaterThan(0);
      }
      for (const arg of command.registeredArguments) expect(arg.description.length).toBeGreaterThan(0);
    },
  );

  it('events --help does not ask for a token, and edge replay --help works', async () => {
    const saved = { token: process.env.ZEBRA_TOKEN, file: process.env.ZEBRA_TOKEN_FILE };
    delete process.env.ZEBRA_TOKEN;
    delete process.env.ZEBRA_TOKEN_FILE;
    try {
      for (const args of [
        ['events', '--help'],
        ['events', 'list', '--help'],
        ['edge', 'replay', '--help'],
      ]) {
        const r = await cli(args);
        expect(r.code).toBe(0);
        expect(r.err).toBe('');
        expect(r.out).not.toMatch(/token:|needs a token/);
      }
    } finally {
      if (saved.token !== undefined) process.env.ZEBRA_TOKEN = saved.token;
      if (saved.file !== undefined) process.env.ZEBRA_TOKEN_FILE = saved.file;
    }
  });

  it('no arguments prints the usage with every top-level command and exits 0', async () => {
    const r = await cli([]);
    expect(r.code).toBe(0);
    for (const c of buildProgram().commands) expect(r.out).toContain(c.name());
  });
});

describe('a command line the CLI does not understand', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/, 'zebra'],
    [['edge', 'frobnicate'], /unknown command 'frobnicate'/, 'zebra edge'],
    [['events', 'list', '--frobnicate'], /unknown option '--frobnicate'/, 'zebra events list'],
    [['edge', 'replay', 'v.mp4', '--frobnicate'], /unknown option '--frobnicate'/, 'zebra edge replay'],
    [['tokens', 'issue', '--days', '0'], /--days <n>.*'0' is invalid.*from 1 to 366/, 'zebra tokens issue'],
    [
      ['users', 'add', 'ann', '--role', 'boss'],
      /--role <role>.*'boss' is invalid.*reviewer, supervisor/,
      'zebra users add',
    ],
    [['edge', 'replay'], /missing required argument 'video'/, 'zebra edge replay'],
    [['core', 'run'], /required option '--config <file>' not specified/, 'zebra core run'],
  ])('%j names the problem on stderr and exits 2 with the usage', async (args, message, usage) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain(`Usage: ${usage} [options]`);
    expect(r.out).toBe('');
  });

  it('a group without its subcommand prints the group help on stderr and exits 2', async () => {
    const r = await cli(['users']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: zebra users');
    expect(r.err).toContain('list');
  });
});
