import { ClockSyncState, SignalSourceKind } from '../../proto/index.js';
import type { EvidenceRef, InfractionEvent } from '../../proto/index.js';
import type { SignedCheckpoint } from '../audit/checkpoint.js';
import { entryLeafHash } from '../audit/entry.js';
import type { ExtractEntry } from '../audit/extract.js';
import {
  durationLabel,
  infractionKindLabel,
  reasonLabel,
  reviewStateLabel,
  signalLabel,
  storyLine,
  storySentence,
  timeWithMs,
} from '../console/audit-labels.js';
import { drawKeyframe, drawTimeline, roleLabel, signalCaption } from './figures.js';
import { MUTED, PdfWriter } from './pdf-writer.js';

/** Everything the package shows; read and checked by the caller. */
export interface PackageInput {
  readonly event: InfractionEvent;
  /** The review state's name, e.g. "approved". */
  readonly reviewState: string;
  readonly receivedAtMs: number;
  readonly signatureKeyId: string;
  /** Each image evidence object with its bytes (checked against the signed hash), or why not. */
  readonly keyframes: readonly { readonly ref: EvidenceRef; readonly bytes?: Uint8Array; readonly missing?: string }[];
  readonly checkpoint: SignedCheckpoint;
  readonly entries: readonly ExtractEntry[];
  /** The zebra-audit-extract/v2 NDJSON of the same entries: attached to the PDF. */
  readonly extractNdjson: string;
  readonly extractName: string;
  readonly generatedAtMs: number;
  readonly generatedBy: string;
}

const DECISIONS = new Set([
  'review.confirm',
  'review.reject',
  'review.link',
  'review.approve',
  'review.deny',
  'review.appeal',
  'review.uphold_appeal',
  'review.deny_appeal',
  'review.expire',
]);

function warnings(event: InfractionEvent): string[] {
  const found: string[] = [];
  const clock = event.clock?.state ?? ClockSyncState.CLOCK_SYNC_STATE_UNSPECIFIED;
  if (clock !== ClockSyncState.CLOCK_SYNC_STATE_SYNCED)
    found.push("The device's clock was not known to be synchronised: the times are the device's own.");
  if (event.signal?.source === SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE)
    found.push(
      'The signal phase came from a schedule file (a timetable), not from the signal controller: the phase is what the timetable predicts.',
    );
  if (event.enforcement?.suspended)
    found.push(`Enforcement was suspended on the device: ${event.enforcement.reasonCodes.join(', ')}.`);
  return found;
}

function summary(w: PdfWriter, p: PackageInput): void {
  const e = p.event;
  const s = e.signal;
  w.heading('Evidence package: entry into a crosswalk against the signal', 1);
  w.text(`Camera ${e.cameraId} at site ${e.siteId}, ${timeWithMs(e.occurredAtMs, 'utc')}`, { size: 12, gapAfter: 8 });
  w.facts([
    ['When', `${timeWithMs(e.occurredAtMs, 'utc')} (the first frame with the feet in the zone)`],
    ['Where', `site ${e.siteId}, camera ${e.cameraId}, crosswalk zone ${e.zoneId} (version ${e.zoneVersion})`],
    ['Signal', signalCaption(e).replace(/^signal: /, '')],
    [
      'Signal source',
      s?.source === SignalSourceKind.SIGNAL_SOURCE_KIND_CONTROLLER_FEED
        ? `the signal controller's feed (${s.sourceId})`
        : s?.source === SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE
          ? `a schedule file, not a controller (${s.sourceId})`
          : 'unknown',
    ],
    ['Detection confidence', `${Math.round((e.confidence?.value ?? 0) * 100)} %`],
    ['Outcome', reviewStateLabel(p.reviewState)],
    ['Received by the core', timeWithMs(p.receivedAtMs, 'utc')],
    ['Package made', `${timeWithMs(p.generatedAtMs, 'utc')} by ${p.generatedBy}`],
  ]);
  const warned = warnings(e);
  if (warned.length) {
    w.heading('Warnings');
    for (const text of warned) w.text(`! ${text}`);
  }
}

async function keyframes(w: PdfWriter, p: PackageInput): Promise<void> {
  w.heading('Keyframes (redacted on the device)');
  w.text(
    'Faces and heads were masked on the device before anything left it; these are the stored images, unaltered. The band at the foot of each image and the yellow zone outline are drawn on the page, not in the image.',
    { color: MUTED, size: 9, gapAfter: 6 },
  );
  for (const k of p.keyframes) {
    w.text(`${roleLabel(k.ref.role)}, ${timeWithMs(k.ref.frameCapturedAtMs, 'utc')}`, { font: w.fonts.bold });
    if (k.bytes) {
      const image = k.ref.mediaType === 'image/png' ? await w.doc.embedPng(k.bytes) : await w.doc.embedJpg(k.bytes);
      drawKeyframe(w, p.event, k.ref, image);
    } else {
      w.text(`Not shown: ${k.missing ?? 'not stored'}.`);
    }
    const r = k.ref.redaction;
    w.text(
      `SHA-256 (as the device signed it): ${k.ref.sha256Hex}` +
        (r ? `\nRedaction: ${r.method}, ${r.facesFound} faces and ${r.headsMasked} heads masked` : ''),
      { size: 8, color: MUTED, gapAfter: 8 },
    );
  }
}

function rule(w: PdfWriter, p: PackageInput): void {
  const e = p.event;
  w.ensure(170); // the heading stays with its figure
  w.heading('The signal around the entry');
  drawTimeline(w, e);
  w.text(
    `The device recorded the signal as ${signalLabel(e.signal?.state ?? 0)} at the entry; it keeps no earlier phases for an event, so the time before steady DON'T WALK began is shown as not recorded.`,
    { size: 9, color: MUTED },
  );
  w.heading('The rule and its parameters');
  w.text(
    `Rule "${infractionKindLabel(e.infractionKind)}": a person's feet enter crosswalk zone ${e.zoneId} ` +
      "while the pedestrian signal shows steady DON'T WALK, later than the grace period after it began, and stay in the zone for the minimum dwell time.",
  );
  w.facts([
    ['Zone', `${e.zoneId}, version ${e.zoneVersion}, ${e.zonePolygon.length} corners (outlined on the keyframes)`],
    [
      'Measured',
      `entered ${((e.signal?.msSinceSteadyDontWalk ?? 0) / 1000).toFixed(3)} s after steady DON'T WALK began`,
    ],
    ['Device software', e.edgeSoftwareVersion || 'not stated'],
    ['Device configuration', `SHA-256 ${e.configSha256 || 'not stated'} (fixes the grace period and dwell time)`],
    ['Models', e.models.map((m) => `${m.modelId} (SHA-256 ${m.sha256Hex.slice(0, 16)}...)`).join('; ') || 'none'],
    [
      'Device signature',
      p.signatureKeyId
        ? `${e.signature?.algorithm ?? 'none'}, verified at ingest against the registered device key ${p.signatureKeyId}`
        : 'not checked against a registered device key (stored before the device was registered)',
    ],
  ]);
}

function decisions(w: PdfWriter, p: PackageInput): void {
  w.heading('Review decisions');
  const made = p.entries.filter((x) => DECISIONS.has(x.entry.action));
  if (made.length === 0) w.text('No review decision is recorded.');
  for (const { entry } of made) {
    const line = storyLine(entry);
    const reason = typeof entry.details.reason === 'string' ? reasonLabel(entry.details.reason) : line.why;
    w.facts([
      ['Who, when', `${line.who}, ${timeWithMs(entry.atMs, 'utc')}`],
      ['Decision', line.what],
      ...(reason ? [['Reason', reason] as const] : []),
      ...(line.lookedMs === undefined ? [] : [['Evidence viewed for', durationLabel(line.lookedMs)] as const]),
    ]);
    w.y -= 4;
  }
}

function custody(w: PdfWriter, p: PackageInput): void {
  const cp = p.checkpoint;
  w.newPage();
  w.heading('Custody report, with Merkle proofs', 1);
  w.text(
    `Every entry about this event in the append-only audit log, with its RFC 6962 inclusion proof against the signed checkpoint below. The same entries are attached to this PDF as ${p.extractName} (machine-readable), which is what the offline check reads.`,
    { size: 9, color: MUTED, gapAfter: 6 },
  );
  w.facts([
    ['Log', cp.origin],
    ['Checkpoint', `${cp.treeSize} entries, signed ${timeWithMs(cp.atMs, 'utc')}`],
    ['Signing key', `fingerprint ${cp.keyId} (Ed25519)`],
    ['Root hash (hex)', cp.rootHash.toString('hex')],
    ['Signature (base64)', cp.signature.toString('base64')],
  ]);
  for (const { entry, proof } of p.entries) {
    w.ensure(60);
    w.text(`${timeWithMs(entry.atMs, 'utc')}: ${storySentence(storyLine(entry))}`, { font: w.fonts.bold, size: 9.5 });
    w.text(
      `log position ${entry.seq}; leaf hash ${entryLeafHash(entry).toString('hex')}\ninclusion proof (${proof.length} hashes): ${proof.map((h) => h.toString('hex')).join(' ')}`,
      { font: w.fonts.mono, size: 6.5, color: MUTED, gapAfter: 6 },
    );
  }
}

function howToVerify(w: PdfWriter, p: PackageInput): void {
  w.heading('How to check this package offline');
  const steps = [
    `1. Get the audit log's public key from its operator through a channel you trust, and check that its fingerprint is ${p.checkpoint.keyId}.`,
    `2. Run: zebra audit verify THIS_FILE.pdf --public-key audit.pub.pem  - it reads the attached ${p.extractName}, checks the checkpoint signature and every inclusion proof, and prints the verified entries; they must match the custody report above. Any change to an entry, a proof or the checkpoint makes it fail.`,
    `3. Without zebra: pdfdetach -saveall THIS_FILE.pdf (poppler-utils) saves ${p.extractName}; each entry's leaf hash is SHA-256 of a 0x00 byte followed by the entry as canonical JSON (keys sorted, no spaces), and the proof is checked as in RFC 9162 section 2.1.3.2.`,
    '4. The keyframes: pdfimages -all THIS_FILE.pdf img (poppler-utils) extracts the images unchanged; their SHA-256 (sha256sum img-*.jpg) must equal the hashes printed under each keyframe, which the device signed.',
  ];
  for (const step of steps) w.text(step, { gapAfter: 4 });
}

/** The evidence package as PDF bytes, with the extract attached. */
export async function renderEvidencePackage(p: PackageInput): Promise<Uint8Array> {
  const w = await PdfWriter.create(
    `zebra evidence package - camera ${p.event.cameraId}, ${timeWithMs(p.event.occurredAtMs, 'utc')}`,
  );
  w.doc.setTitle(`Evidence package: camera ${p.event.cameraId}, ${timeWithMs(p.event.occurredAtMs, 'utc')}`);
  w.doc.setSubject(`event ${p.event.eventId}`);
  w.doc.setCreator('zebra');
  w.doc.setProducer('zebra (pdf-lib)');
  w.doc.setCreationDate(new Date(p.generatedAtMs));
  w.doc.setModificationDate(new Date(p.generatedAtMs));
  summary(w, p);
  await keyframes(w, p);
  rule(w, p);
  decisions(w, p);
  custody(w, p);
  howToVerify(w, p);
  await w.doc.attach(Buffer.from(p.extractNdjson, 'utf8'), p.extractName, {
    mimeType: 'application/x-ndjson',
    description: 'zebra-audit-extract/v2: the entries of the custody report with inclusion proofs',
    creationDate: new Date(p.generatedAtMs),
    modificationDate: new Date(p.generatedAtMs),
  });
  return w.finish();
}
