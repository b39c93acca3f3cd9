/// <reference lib="dom" />
import { h } from '../dom.js';
import {
  CLOCK_STATE_LABEL,
  SIGNAL_SOURCE_LABEL,
  SIGNAL_STATE_LABEL,
  evidenceRoleLabel,
  infractionLabel,
  plural,
  redactionMethodLabel,
  redactionModeLabel,
  suspensionLabel,
} from '../labels.js';
import { dateTimeMs, duration, offsetSeconds } from '../time.js';
import { ClockSyncState, SignalSourceKind } from '../../../proto/gen/zebra/v1/event.js';
import type { InfractionEvent } from '../../../proto/gen/zebra/v1/event.js';

/** A signal reading older than this at the entry is worth a warning. */
const STALE_SIGNAL_MS = 2000;

/** "demo-cycle@1" → "schedule “demo-cycle”, version 1". */
function scheduleName(sourceId: string): string {
  const at = sourceId.lastIndexOf('@');
  return at > 0 ? `schedule “${sourceId.slice(0, at)}”, version ${sourceId.slice(at + 1)}` : `schedule “${sourceId}”`;
}

function signalSource(event: InfractionEvent): string {
  const s = event.signal;
  if (!s) return 'not recorded';
  if (s.source === SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE)
    return `${SIGNAL_SOURCE_LABEL[s.source]}: ${scheduleName(s.sourceId)}`;
  return `${SIGNAL_SOURCE_LABEL[s.source]}${s.sourceId ? ` (${s.sourceId})` : ''}`;
}

/**
 * What enforcement relied on that is uncertain, in words a reviewer weighs: a clock nobody
 * checked, a signal assumed from a schedule rather than read, a stale reading, no signature.
 */
export function warnings(event: InfractionEvent, signatureKeyId: string): string[] {
  const out: string[] = [];
  const s = event.signal;
  if (!s || s.source !== SignalSourceKind.SIGNAL_SOURCE_KIND_CONTROLLER_FEED)
    out.push(
      s?.source === SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE
        ? `The signal was not read from the controller: it was assumed from a fixed ${scheduleName(s.sourceId)}. Check the light in the images.`
        : 'The signal’s source is not recorded. Check the light in the images.',
    );
  const clock = event.clock?.state ?? ClockSyncState.CLOCK_SYNC_STATE_UNSPECIFIED;
  if (clock !== ClockSyncState.CLOCK_SYNC_STATE_SYNCED)
    out.push(
      `The device clock was ${CLOCK_STATE_LABEL[clock]}: the times below are the device’s own and were not confirmed.`,
    );
  if (s && s.readAtMs > 0 && event.occurredAtMs - s.readAtMs > STALE_SIGNAL_MS)
    out.push(`The last signal reading was ${duration(event.occurredAtMs - s.readAtMs)} old at the entry.`);
  if (!signatureKeyId)
    out.push('The device signature was not checked against a registered key when the event arrived.');
  if (event.enforcement?.suspended)
    out.push(
      `Enforcement was suspended on the device (${event.enforcement.reasonCodes.map(suspensionLabel).join(', ')}).`,
    );
  return out;
}

/** The facts a reviewer weighs, in words; no ids or hashes (those are in `technicalDetails`). */
export function facts(event: InfractionEvent, signatureKeyId: string): HTMLElement {
  const parts = event.confidence?.parts ?? [];
  const obs = event.track?.observations ?? [];
  const trackSpanMs = obs.length > 1 ? obs[obs.length - 1]!.capturedAtMs - obs[0]!.capturedAtMs : 0;
  const s = event.signal;
  const row = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];
  const a = event.redaction;
  return h(
    'dl',
    { class: 'facts' },
    ...row('Where', `Intersection ${event.siteId}, camera ${event.cameraId}`),
    ...row('When', dateTimeMs(event.occurredAtMs)),
    ...row('Rule', infractionLabel(event.infractionKind)),
    ...row(
      'Signal',
      s
        ? `${SIGNAL_STATE_LABEL[s.state]}, ${offsetSeconds(event.occurredAtMs - s.stateBeganAtMs).replace('+', '')} in when the person entered`
        : 'not recorded',
    ),
    ...row('Signal from', signalSource(event)),
    ...row(
      'Confidence',
      `${(event.confidence?.value ?? 0).toFixed(2)}${parts.length ? ` (${parts.map((p) => `${p.name.replace(/_/g, ' ')} ${p.value.toFixed(2)}`).join(', ')})` : ''}`,
    ),
    ...row('The person', `followed for ${duration(trackSpanMs)} in ${plural(obs.length, 'position')}`),
    ...row(
      'Enforcement',
      event.enforcement?.suspended ? 'suspended on the device: held out of review' : 'active on the device',
    ),
    ...row(
      'Device clock',
      `${CLOCK_STATE_LABEL[event.clock?.state ?? ClockSyncState.CLOCK_SYNC_STATE_UNSPECIFIED]}${event.clock?.reference ? `; ${offsetSeconds(event.clock.offsetMs)} from the reference` : ''}`,
    ),
    ...row(
      'Device signature',
      signatureKeyId
        ? 'verified when the event arrived, against the key registered for the device'
        : event.signature
          ? 'not verified (stored before devices were registered)'
          : 'missing',
    ),
    ...row(
      'Redaction',
      a
        ? `on the device, ${redactionModeLabel(a.mode)} (${redactionMethodLabel(a.method)}) in ${plural(a.frames, 'frame')}: ${plural(a.facesFound, 'face')} found, ${plural(a.headsMasked, 'head region')} masked${a.residualFacesFilled ? `, ${a.residualFacesFilled} more found on a second look and filled solid` : ''}`
        : 'no redaction record',
    ),
  );
}

/** Ids, hashes and model details, folded away: for checking, not for deciding. */
export function technicalDetails(event: InfractionEvent, signatureKeyId: string): HTMLElement {
  const row = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', { class: 'mono' }, value)];
  return h(
    'details',
    { class: 'tech' },
    h('summary', {}, 'Technical details: ids, hashes, models'),
    h(
      'dl',
      { class: 'facts' },
      ...row('Event id', event.eventId),
      ...row('Device', event.deviceId),
      ...row('Camera sequence', String(event.cameraSeq)),
      ...row('Zone', `${event.zoneId} version ${event.zoneVersion}`),
      ...row('Track', event.track?.trackId ? String(event.track.trackId) : '—'),
      ...row('Signal source id', event.signal?.sourceId || '—'),
      ...row('Clock reference', event.clock?.reference || '—'),
      ...row('Edge software', event.edgeSoftwareVersion || '—'),
      ...row('Configuration SHA-256', event.configSha256 || '—'),
      ...row('Models', event.models.map((m) => `${m.modelId} sha256 ${m.sha256Hex}`).join('; ') || '—'),
      ...row('Redaction detectors', (event.redaction?.detectors ?? []).map((d) => d.modelId).join(', ') || '—'),
      ...row(
        'Signature',
        `${event.signature?.algorithm ?? '—'}, key ${event.signature?.keyId ?? '—'}${signatureKeyId ? ` (registered key ${signatureKeyId})` : ''}`,
      ),
      ...event.evidence.flatMap((e) =>
        row(
          `Evidence: ${evidenceRoleLabel(e.role)}`,
          `sha256 ${e.sha256Hex}, ${plural(e.sizeBytes, 'byte')}, ${e.mediaType}${e.redaction ? `, detectors ${e.redaction.detectorIds.join(', ')}` : ''}`,
        ),
      ),
    ),
  );
}
