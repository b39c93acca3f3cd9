import { ensureDemoTools } from '../../cli/system-tools.js';

/** Before any test: nats-server, ffmpeg and chromium must be installed (apt-get as root, else a clear error with the command). */
export default function setup(): void {
  ensureDemoTools((line) => process.stderr.write(`${line}\n`), true);
}
