import type { Command } from 'commander';
import { act, seconds } from '../command-kit.js';
import { edgeCheck } from '../edge-check.js';
import { edgeSnapshot } from '../snapshot.js';
import { edgePublicKey, edgeRotateKey } from '../devices.js';
import { edgeReplay } from '../replay.js';
import { signalBridge } from '../signal-bridge.js';
import { edgeRun } from '../services.js';

/** edge run|replay|public-key. */
export function registerEdge(program: Command): void {
  program
    .command('signal')
    .description("the intersection's signal controller")
    .command('bridge')
    .description("read the controller's pedestrian signal over SNMP (NTCIP 1202) and publish signed reports")
    .requiredOption('--config <file>', 'the bridge config (docs/field.md, docs/examples/signal-bridge.yaml)')
    .action(act(signalBridge));
  const edge = program.command('edge').description('an edge device: run it, replay a file, set a camera up');
  edge
    .command('run')
    .description('run an edge worker')
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .action(act(edgeRun));
  edge
    .command('replay')
    .description("run one camera's pipeline over a file; write what would be sent")
    .argument('<video>', 'a video file (or sample:<id> from the model manifest)')
    .option('--config <file>', 'the edge config (default: the demo config)')
    .option('--camera <id>', 'the camera whose zones and schedule apply (default: the first)')
    .option('-o, --out <dir>', 'where the events and evidence go (default: replay-<time>)')
    .action(act(edgeReplay));
  edge
    .command('check')
    .description(
      'check everything at once: config keys, files, streams, zones, models, NATS and the core key (✓/✗, exit 1 on any ✗)',
    )
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .option('--timeout <s>', 'seconds each stream probe and the NATS connection may take', seconds(120), 5)
    .action(act(edgeCheck));
  edge
    .command('snapshot')
    .description('one redacted frame of a camera with its zone drawn, for setting the camera up')
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .requiredOption('--camera <id>', 'the camera')
    .requiredOption('-o, --out <file>', 'the image to write (.jpg)')
    .option('--timeout <s>', 'seconds to wait for the first frame', seconds(120), 15)
    .action(act(edgeSnapshot));
  edge
    .command('public-key')
    .description("the device's public key (created on first use), to register it")
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .action(act(edgePublicKey));
  edge
    .command('rotate-key')
    .description('retire the device key and make a new one (then register it: the audit log records the re-keying)')
    .requiredOption('--config <file>', 'the edge config (YAML)')
    .action(act(edgeRotateKey));
}
