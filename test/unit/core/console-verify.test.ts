import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signCheckpoint } from '../../../core/audit/checkpoint.js';
import { canonicalEntryBytes, entryLeafHash } from '../../../core/audit/entry.js';
import type { AuditEntry } from '../../../core/audit/entry.js';
import { inclusionProof, merkleRoot } from '../../../core/audit/merkle.js';
import { keyIdOfPem, verifyCustody } from '../../../core/console/verify.js';
import type { CustodyStep } from '../../../core/console/verify.js';

/**
 * The console's verifier (WebCrypto, the code the browser runs) against what the core signs
 * and proves: it accepts the real thing, and any single change to an entry, a proof or the
 * checkpoint makes it fail.
 */
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

const entries: AuditEntry[] = Array.from({ length: 13 }, (_, seq) => ({
  seq,
  atMs: 1_796_000_000_000 + seq * 1000,
  actor: seq % 3 === 0 ? 'device:dev-1' : 'rita',
  action: seq % 2 ? 'review.confirm' : 'evidence.read',
  subject: seq % 4 === 0 ? 'ev-1' : 'ev-2',
  details: { reason: 'clear_infraction', evidenceViewedMs: 1200 + seq },
}));
const leaves = entries.map(entryLeafHash);
const cp = signCheckpoint(
  { origin: 'zebra-audit/v1', treeSize: entries.length, rootHash: merkleRoot(leaves), atMs: 1_796_000_100_000 },
  privateKey,
  publicKey,
);
const checkpoint = { ...cp, rootHash: cp.rootHash.toString('base64'), signature: cp.signature.toString('base64') };
const steps = (): CustodyStep[] =>
  entries
    .filter((e) => e.subject === 'ev-1')
    .map((e) => ({
      seq: e.seq,
      atMs: e.atMs,
      actor: e.actor,
      action: e.action,
      canonicalEntry: canonicalEntryBytes(e).toString('base64'),
      inclusionProof: inclusionProof(e.seq, leaves).map((p) => p.toString('base64')),
    }));

describe('the console verifier, run on what the core signs', () => {
  it('accepts the real report and returns the entries decoded from the hashed bytes', async () => {
    const check = await verifyCustody({ checkpoint, steps: steps() }, pem);
    expect(check.isValid).toBe(true);
    expect(check.steps.map((s) => s.entry?.seq)).toEqual([0, 4, 8, 12]);
    expect(check.steps[1]!.entry?.details).toEqual({ reason: 'clear_infraction', evidenceViewedMs: 1204 });
    expect(await keyIdOfPem(pem)).toBe(cp.keyId);
  });

  it('fails when any byte of an entry, a proof hash or the signed root changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('entry', 'proof', 'root', 'signature'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (what, at, flip) => {
          const report = { checkpoint: { ...checkpoint }, steps: steps() };
          const step = report.steps[at % report.steps.length]!;
          const change = (b64: string): string => {
            const bytes = Buffer.from(b64, 'base64');
            bytes[at % bytes.length]! ^= flip;
            return bytes.toString('base64');
          };
          if (what === 'entry') step.canonicalEntry = change(step.canonicalEntry);
          if (what === 'proof')
            step.inclusionProof[at % step.inclusionProof.length] = change(
              step.inclusionProof[at % step.inclusionProof.length]!,
            );
          if (what === 'root') report.checkpoint.rootHash = change(report.checkpoint.rootHash);
          if (what === 'signature') report.checkpoint.signature = change(report.checkpoint.signature);
          const check = await verifyCustody(report, pem);
          expect(check.isValid).toBe(false);
          if (what === 'entry' || what === 'proof') expect(check.steps.filter((s) => !s.entry)).toHaveLength(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fails against a key that is not the log key', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const check = await verifyCustody({ checkpoint, steps: steps() }, other);
    expect(check).toMatchObject({ isSigned: false, isValid: false });
  });

  it('does not tell an entry proved at another position than it names', async () => {
    const report = { checkpoint, steps: steps() };
    // The server presents entry 4's bytes as position 4 but claims the seq of entry 0's slot.
    report.steps[0] = { ...report.steps[1]!, seq: 0, inclusionProof: report.steps[0]!.inclusionProof };
    const check = await verifyCustody(report, pem);
    expect(check.steps[0]!.entry).toBeUndefined();
    expect(check.isValid).toBe(false);
  });
});
