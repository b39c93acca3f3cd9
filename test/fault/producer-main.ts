/**
 * A device as its own process, so a test can kill -9 it mid-upload. Options come as JSON in
 * ZEBRA_PRODUCER; <stateDir>/produced.log records each send and each ack (see producedLog).
 */
import { SiteProducer } from '../harness/site-producer.js';
import type { SiteProducerOptions } from '../harness/site-producer.js';

const options = JSON.parse(process.env.ZEBRA_PRODUCER ?? '{}') as SiteProducerOptions & {
  count: number;
  intervalMs: number;
};
const producer = await SiteProducer.start(options);
for (let i = 0; i < options.count; i++) {
  const outcome = await producer.produceOne();
  process.stdout.write(`${outcome}\n`);
  if (options.intervalMs > 0) await new Promise((r) => setTimeout(r, options.intervalMs));
}
await producer.close();
