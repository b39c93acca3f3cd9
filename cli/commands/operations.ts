import type { Command } from 'commander';
import { backup, restore } from '../backup.js';
import { act, collect } from '../command-kit.js';

/** backup, restore. */
export function registerOperations(program: Command): void {
  program
    .command('backup')
    .description(
      "the core's database, audit signing key and newest checkpoint, and edge device keys, into a new folder",
    )
    .requiredOption('-o, --out <dir>', 'a new (or empty) folder; it holds secrets and is made 0700')
    .option('--config <file>', 'the core config (YAML): back up its database and audit key')
    .option('--edge-config <file>', "an edge config (YAML): back up that device's key (repeatable)", collect)
    .action(act(backup));
  program
    .command('restore')
    .description('a backup into a fresh database and the configured key files; checks the restored audit log')
    .requiredOption('--from <dir>', 'the backup folder')
    .option('--config <file>', 'the core config (YAML) naming the new, empty database and the audit key file')
    .option(
      '--edge-config <file>',
      "an edge config (YAML): restore that device's key to its stateDir (repeatable)",
      collect,
    )
    .action(act(restore));
}
