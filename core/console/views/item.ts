/// <reference lib="dom" />
import { api, evidenceObjectUrl } from '../api.js';
import type { Session } from '../app.js';
import { announce, enumLabel, field, h, seconds, when } from '../dom.js';
import { decisionPanel } from './decision.js';
import type { Reason } from './decision.js';
import { framedClip, framedEvidence, signalTimeline } from './overlay.js';
import type { Observation, Point } from './overlay.js';

interface EvidenceRef {
  role: string;
  sha256Hex: string;
  frameCapturedAtMs: string;
  clipEndCapturedAtMs?: string;
  clipFrames?: number;
  redaction?: { method: string; facesFound: number; headsMasked: number; detectorIds: string[] };
}
interface InfractionEvent {
  eventId: string;
  deviceId: string;
  siteId: string;
  cameraId: string;
  cameraSeq: string;
  occurredAtMs: string;
  zoneId: string;
  zoneVersion: number;
  zonePolygon?: Point[];
  signal?: { state: string; stateBeganAtMs: string; msSinceSteadyDontWalk: string; sourceId: string };
  track?: { trackId: string; observations?: Observation[] };
  confidence?: { value: number; parts?: { name: string; value: number }[] };
  evidence?: EvidenceRef[];
  evidenceStatusDetail?: string;
  models?: { modelId: string; sha256Hex: string }[];
  signature?: { algorithm: string; keyId: string };
  infractionKind?: string;
  enforcement?: { suspended?: boolean; reasonCodes?: string[] };
  clock?: { state?: string; offsetMs?: string; reference?: string };
  configSha256?: string;
  redaction?: {
    method: string;
    frames: number;
    facesFound: number;
    headsMasked: number;
    detectors?: { modelId: string }[];
    residualFacesFilled?: number;
  };
}
interface ItemView {
  item?: { itemId: string; state: string; version: number; claimedBy: string; claimExpiresAtMs: string };
  event: InfractionEvent;
  reference?: { citationNumber: string; issuingOfficer: string; subjectRef: string };
  minEvidenceViewMs: string;
  evidenceViewedMs: string;
  signatureKeyId?: string;
}

const PURPOSES = ['first review', 'second review', 'appeal review', 'audit', 'reference check'];

function facts(event: InfractionEvent, signatureKeyId: string): HTMLElement {
  const parts = event.confidence?.parts ?? [];
  return h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Camera'),
    h('dd', {}, `${event.siteId} / ${event.cameraId} #${event.cameraSeq} (device ${event.deviceId})`),
    h('dt', {}, 'Occurred'),
    h('dd', {}, when(event.occurredAtMs)),
    h('dt', {}, 'Infraction'),
    h('dd', {}, enumLabel(event.infractionKind || 'entered_on_steady_dont_walk', '')),
    h('dt', {}, 'Zone'),
    h('dd', {}, `${event.zoneId} v${event.zoneVersion}`),
    h('dt', {}, 'Signal'),
    h(
      'dd',
      {},
      `${enumLabel(event.signal?.state, 'SIGNAL_STATE_')} for ${seconds(event.signal?.msSinceSteadyDontWalk)} (source ${event.signal?.sourceId ?? '—'})`,
    ),
    h('dt', {}, 'Confidence'),
    h(
      'dd',
      {},
      `${Number(event.confidence?.value ?? 0).toFixed(2)}${parts.length ? ' — ' + parts.map((p) => `${p.name} ${Number(p.value).toFixed(2)}`).join(', ') : ''}`,
    ),
    h('dt', {}, 'Track'),
    h('dd', {}, `#${event.track?.trackId ?? '—'}, ${event.track?.observations?.length ?? 0} observations`),
    h('dt', {}, 'Models'),
    h('dd', {}, (event.models ?? []).map((m) => `${m.modelId} (${m.sha256Hex.slice(0, 12)}…)`).join(', ') || '—'),
    h('dt', {}, 'Enforcement'),
    h(
      'dd',
      {},
      event.enforcement?.suspended
        ? `suspended on the device (${(event.enforcement.reasonCodes ?? []).map((r) => enumLabel(r, '')).join(', ')}): held out of review`
        : 'active',
    ),
    h('dt', {}, 'Device clock'),
    h(
      'dd',
      {},
      `${enumLabel(event.clock?.state ?? 'CLOCK_SYNC_STATE_UNKNOWN', 'CLOCK_SYNC_STATE_')}${event.clock?.reference ? ` against ${event.clock.reference}, offset ${event.clock.offsetMs ?? 0} ms` : ''}; config ${event.configSha256 ? `${event.configSha256.slice(0, 12)}…` : '—'}`,
    ),
    h('dt', {}, 'Device signature'),
    h(
      'dd',
      {},
      signatureKeyId
        ? `${event.signature?.algorithm ?? 'ed25519'}: verified at ingest against the registered key ${signatureKeyId} of device ${event.deviceId}`
        : event.signature
          ? `${event.signature.algorithm}, key ${event.signature.keyId}: not verified (stored before devices were registered)`
          : 'missing',
    ),
  );
}

function redactionAttestation(event: InfractionEvent, evidence: EvidenceRef[]): HTMLElement {
  const a = event.redaction;
  const summary = a
    ? [
        h(
          'li',
          {},
          `Attested by the device: ${a.frames} frames redacted (${a.method}), ${a.facesFound} face(s) found and ${a.headsMasked} head region(s) masked${a.residualFacesFilled ? `, ${a.residualFacesFilled} more found on a second look and filled solid` : ''}, with ${(a.detectors ?? []).map((d) => d.modelId).join(', ')}`,
        ),
      ]
    : [];
  return h(
    'ul',
    { class: 'attest' },
    ...summary,
    evidence.map((e) =>
      h(
        'li',
        {},
        `${e.role}: ${e.redaction ? `${e.redaction.method}, ${e.redaction.facesFound} face(s) and ${e.redaction.headsMasked} head(s) masked on the device (${e.redaction.detectorIds.join(', ')})` : 'no redaction record'}; sha256 ${e.sha256Hex.slice(0, 16)}…`,
      ),
    ),
  );
}

export async function renderItem(session: Session, main: HTMLElement, itemId: string): Promise<() => void> {
  const canReview = session.roles.includes('reviewer') || session.roles.includes('supervisor');
  const view: ItemView = canReview
    ? await api<ItemView>('ReviewService/GetReviewItem', { itemId })
    : await api<ItemView>('EventService/GetEvent', { eventId: itemId });
  const { reasons = [] } = await api<{ reasons?: Reason[] }>('ReviewService/ListReasons');
  const event = view.event;
  const state = view.item?.state ?? (view as unknown as { reviewState?: string }).reviewState ?? '';
  const minViewMs = Number(view.minEvidenceViewMs ?? 0);
  let viewedSinceMs = Date.now() - Number(view.evidenceViewedMs ?? 0);
  let hasOpened = Number(view.evidenceViewedMs ?? 0) > 0;
  const frames = h('div', { class: 'frames' });
  const purpose = h(
    'select',
    { name: 'purpose' },
    PURPOSES.map((p) => h('option', { value: p }, p)),
  );
  if (state.includes('LINKED') || state.includes('APPEALED'))
    purpose.value = state.includes('LINKED') ? 'second review' : 'appeal review';
  if (!canReview) purpose.value = 'audit';
  const openButton = h('button', { type: 'button', class: 'primary' }, 'Open evidence');
  openButton.addEventListener('click', () => void openEvidence());
  const countdown = h('p', { class: 'muted', 'aria-live': 'polite' });
  /** blob: URLs of the evidence on screen; revoked when replaced or when the view goes away. */
  let objectUrls: string[] = [];
  const revokeObjectUrls = (): void => {
    for (const u of objectUrls) URL.revokeObjectURL(u);
    objectUrls = [];
  };

  async function openEvidence(): Promise<void> {
    try {
      const { links: issued = [] } = await api<{ links?: { role: string; url: string }[] }>(
        'ReviewService/OpenEvidence',
        { eventId: itemId, purpose: purpose.value },
      );
      const urls = await Promise.all(issued.map((link) => evidenceObjectUrl(link.url)));
      revokeObjectUrls();
      objectUrls = urls;
      const links = issued.map((link, i) => ({ role: link.role, url: urls[i]! }));
      if (!hasOpened) viewedSinceMs = Date.now();
      hasOpened = true;
      const evidence = event.evidence ?? [];
      frames.replaceChildren(
        ...links.map((link, i) =>
          link.role === 'clip'
            ? h(
                'figure',
                { class: 'clip' },
                framedClip(
                  link.url,
                  'Redacted clip, about 3 s before to 3 s after the entry, with the crosswalk zone and the person',
                  event.zonePolygon ?? [],
                  event.track?.observations ?? [],
                  Number(evidence[i]?.frameCapturedAtMs ?? 0),
                ),
                h(
                  'figcaption',
                  {},
                  `clip · ${evidence[i]?.clipFrames ?? 0} frames from ${when(evidence[i]?.frameCapturedAtMs)}`,
                ),
              )
            : h(
                'figure',
                {},
                framedEvidence(
                  link.url,
                  `Redacted ${link.role} frame with the crosswalk zone and the person's path`,
                  event.zonePolygon ?? [],
                  event.track?.observations ?? [],
                  Number(evidence[i]?.frameCapturedAtMs ?? 0),
                ),
                h('figcaption', {}, `${link.role} · ${when(evidence[i]?.frameCapturedAtMs)}`),
              ),
        ),
      );
      announce(`Evidence opened for "${purpose.value}"; the read is recorded in the audit log.`);
      tick();
    } catch (err) {
      announce(`Could not open the evidence: ${(err as Error).message}`, 'error');
    }
  }

  const decisionButtons: HTMLButtonElement[] = [];
  function tick(): void {
    const remaining = hasOpened ? Math.max(0, minViewMs - (Date.now() - viewedSinceMs)) : minViewMs;
    const ready = hasOpened && remaining === 0;
    for (const b of decisionButtons) b.disabled = !ready;
    countdown.textContent = !hasOpened
      ? `Open the evidence first; a decision is possible ${seconds(minViewMs)} after that.`
      : ready
        ? 'Minimum viewing time reached: you may decide.'
        : `Decision possible in ${Math.ceil(remaining / 1000)} s (minimum viewing time ${seconds(minViewMs)}).`;
  }

  const decision = decisionPanel({
    session,
    itemId,
    state,
    version: view.item?.version ?? 0,
    claimedBy: view.item?.claimedBy ?? '',
    claimedByOther: !view.item?.claimedBy && Number(view.item?.claimExpiresAtMs ?? 0) > Date.now(),
    canReview,
    reasons,
    countdown,
    gated: decisionButtons,
  });

  main.append(
    h('p', {}, h('a', { href: canReview ? '#/queue' : '#/audit' }, '← Back')),
    h('h1', {}, `Event on ${event.cameraId} at ${when(event.occurredAtMs)}`),
    h(
      'p',
      { class: 'muted' },
      `State ${enumLabel(state, 'REVIEW_STATE_')}${view.item ? ` · version ${view.item.version}` : ''} · id ${itemId}`,
    ),
    ...(view.reference
      ? [
          h(
            'p',
            { class: 'card' },
            `Lawful reference: citation ${view.reference.citationNumber}, officer ${view.reference.issuingOfficer}, subject ${view.reference.subjectRef}`,
          ),
        ]
      : []),
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'ev-h' },
        h('h2', { id: 'ev-h' }, 'Evidence'),
        (event.evidence ?? []).length
          ? h('div', { class: 'actions' }, field('Purpose', purpose), openButton)
          : h('p', {}, `No evidence was published: ${event.evidenceStatusDetail || 'unknown reason'}`),
        frames,
        h('h3', {}, 'Redaction on the device'),
        redactionAttestation(event, event.evidence ?? []),
      ),
      h(
        'section',
        { 'aria-labelledby': 'facts-h' },
        h('h2', { id: 'facts-h' }, 'What the device recorded'),
        signalTimeline(
          Number(event.signal?.stateBeganAtMs ?? 0),
          Number(event.occurredAtMs),
          Number(event.signal?.msSinceSteadyDontWalk ?? 0),
        ),
        facts(event, view.signatureKeyId ?? ''),
        decision,
      ),
    ),
  );
  tick();
  const timer = setInterval(tick, 500);
  return () => {
    clearInterval(timer);
    revokeObjectUrls();
  };
}
