/**
 * The long outage, for nightly runs: the site's uplink is cut for OUTAGE_S seconds (default
 * 600) while the device produces RATE events/s (default 1) with EVIDENCE_BYTES of evidence
 * each (default 300,000); then the link comes back. Prints how long the backlog took to reach
 * PostgreSQL and the checker's verdict; exits 1 on any loss, duplicate, unexpected event or
 * evidence mismatch, or when the backlog took longer than DEADLINE_S (default 300).
 *
 *   npm run fault:outage
 *   OUTAGE_S=60 npm run fault:outage   # a quick look
 */
import { startFaultSite } from '../harness/fault-site.js';

const outageS = Number(process.env.OUTAGE_S ?? 600);
const rate = Number(process.env.RATE ?? 1);
const evidenceBytes = Number(process.env.EVIDENCE_BYTES ?? 300_000);
const deadlineS = Number(process.env.DEADLINE_S ?? 300);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

await using fault = await startFaultSite();
await fault.startCore();
const producer = await fault.startProducer({ evidenceBytes, maxAttempts: 8 });
await producer.produce(5);
say(`outage: ${outageS} s at ${rate} event/s, ${evidenceBytes} bytes of evidence each`);
fault.link.cut();
const cutAtMs = Date.now();
const intervalMs = 1000 / rate;
for (let i = 0; Date.now() - cutAtMs < outageS * 1000; i++) {
  const due = cutAtMs + i * intervalMs;
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  await producer.produceOne();
  if (i % 60 === 59)
    say(
      `  ${Math.round((Date.now() - cutAtMs) / 1000)} s cut: ${producer.produced.length} produced, ${await fault.committedCount()} committed`,
    );
}
const committedAtRestore = await fault.committedCount();
fault.link.restore();
const restoredAtMs = Date.now();
say(
  `link restored: ${producer.produced.length} produced, ${committedAtRestore} committed, ${producer.refused} refused`,
);
let lastReport = 0;
while ((await fault.committedCount()) < producer.produced.length) {
  if (Date.now() - lastReport > 15_000) {
    lastReport = Date.now();
    say(`  +${Math.round((Date.now() - restoredAtMs) / 1000)} s: ${await fault.committedCount()} committed`);
  }
  if (Date.now() - restoredAtMs > 2 * deadlineS * 1000) break;
  await new Promise((r) => setTimeout(r, 500));
}
const drainS = (Date.now() - restoredAtMs) / 1000;
const { report, evidence } = await fault.verdict(producer.produced, 10_000).catch((err: unknown) => {
  say(String(err));
  return { report: { lost: ['?'], duplicates: [], unexpected: [] }, evidence: [] as string[] };
});
say(
  `all ${producer.produced.length} events in PostgreSQL ${drainS.toFixed(1)} s after the link came back (limit ${deadlineS} s)`,
);
say(
  `lost ${report.lost.length}, duplicated ${report.duplicates.length}, unexpected ${report.unexpected.length}, evidence mismatches ${evidence.length}`,
);
const ok =
  report.lost.length + report.duplicates.length + report.unexpected.length + evidence.length === 0 &&
  drainS <= deadlineS;
process.exitCode = ok ? 0 : 1;
