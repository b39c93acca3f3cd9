import { InvalidArgumentError, Option } from 'commander';
import type { Command } from 'commander';
import { act, collect, wholeNumber } from '../command-kit.js';
import { runDemo } from '../demo.js';
import { natsSetup, parseReplicas } from '../nats-setup.js';
import type { NatsSetupOpts } from '../nats-setup.js';
import { pkiInit, pkiIssue } from '../pki-command.js';
import { redact } from '../redact.js';
import { coreRun, modelsFetch } from '../services.js';
import { NATS_SETUP_USER } from '../../proto/index.js';

function replicas(value: string): number {
  try {
    return parseReplicas(value)!;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--replicas: /, ''));
  }
}

/** demo, models, core, nats, pki, redact. */
export function registerServices(program: Command): void {
  program
    .command('demo')
    .description('run nats-server, the core (PGlite) and the edge on the sample video')
    .option('--once', 'stop after the sample video; exit 0 when every event was stored')
    .addOption(
      new Option(
        '--signal <source>',
        'the signal: a schedule file, or a simulated NTCIP 1202 controller through the bridge',
      )
        .choices(['schedule', 'snmp'])
        .default('schedule'),
    )
    .action(act(runDemo));

  program
    .command('models')
    .description('the model files')
    .command('fetch')
    .description('fetch and verify every file of models/manifest.json')
    .option('--cache <dir>', 'where to keep them (else ZEBRA_CACHE_DIR)')
    .action(act(modelsFetch));

  program
    .command('core')
    .description('the core service')
    .command('run')
    .description('run the core service')
    .requiredOption('--config <file>', 'the core config (YAML)')
    .action(act(coreRun));

  const setup = program
    .command('nats')
    .description('NATS streams')
    .command('setup')
    .description('(setup identity) make the streams the core or a site needs');
  const setupOptions = (c: Command): Command =>
    c
      .requiredOption('--password-file <file>', "the setup identity's password")
      .option('--user <name>', 'the setup identity', NATS_SETUP_USER);
  setupOptions(setup.command('hub').description('the hub: ingest streams, evidence store, ingest durable'))
    .requiredOption('--config <file>', 'the core config (YAML)')
    .option('--replicas <n>', 'copies of each stream: 1, 3 or 5 (else transport.streamReplicas)', replicas)
    .action(act((o: NatsSetupOpts) => natsSetup('hub', o)));
  setupOptions(setup.command('site').description("a site's leaf node: outbox streams and the receipts durable"))
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .action(act((o: NatsSetupOpts) => natsSetup('site', o)));

  const pki = program.command('pki').description("the deployment's private CA and certificates");
  pki
    .command('init')
    .description("make the deployment's CA (ca.pem, ca-key.pem: keep ca-key.pem offline)")
    .requiredOption('--dir <dir>', 'the folder for the CA files')
    .action(act(pkiInit));
  pki
    .command('issue')
    .description('a certificate for a service or device, signed by the CA')
    .argument('<name>', 'the service or device name (files NAME.pem, NAME-key.pem)')
    .requiredOption('--dir <dir>', 'the folder holding the CA')
    .requiredOption('--host <host>', 'a host name or IP the certificate is for (repeatable)', collect)
    .option('--days <n>', 'days the certificate is valid', wholeNumber(1, 3650))
    .action(act(pkiIssue));

  program
    .command('redact')
    .description('mask faces (any size) and heads in an image, a folder of images or a video')
    .argument('<input>', 'an image, a folder of images, or a video')
    .requiredOption('-o, --out <output>', 'the output image, folder, or video (.webm or .mp4)')
    .addOption(
      new Option('--method <method>', 'how a face is masked').choices(['pixelate', 'solid']).default('pixelate'),
    )
    .addOption(
      new Option('--face-search <search>', 'multi-scale finds small faces; whole-frame is cheaper')
        .choices(['multi-scale', 'whole-frame'])
        .default('multi-scale'),
    )
    .option('--full-every <n>', "a video's frames searched at 2x only every N frames", wholeNumber(1, 100), 1)
    .action(act(redact));
}
