import { readFile } from 'node:fs/promises';
import {
  ClockSyncState,
  EventServiceService,
  EvidenceStatus,
  FetchMissingEventsRequest,
  GetEventRequest,
  ListEventsRequest,
  ReviewState,
  SignalSourceKind,
} from '../proto/index.js';
import { reviewStateLabel, signalLabel, timeWithMs } from '../core/index.js';
import type { EventSummary, GetEventResponse, ListEventsResponse } from '../proto/index.js';
import { ApiClient } from './api-client.js';
import { formatTable } from './output.js';
import type { ClientTls } from './client-tls.js';

/**
 * The caller's bearer token: --token-file, else ZEBRA_TOKEN, else ZEBRA_TOKEN_FILE. Throws a
 * message saying how to get one.
 */
export async function resolveToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  const file = tokenFile ?? (env.ZEBRA_TOKEN ? undefined : env.ZEBRA_TOKEN_FILE);
  if (file) {
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (err) {
      throw new Error(`cannot read the token file ${file}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }
  if (env.ZEBRA_TOKEN) return env.ZEBRA_TOKEN.trim();
  throw new Error(
    'this needs a token: pass --token-file FILE or set ZEBRA_TOKEN (enrol with the code an admin gave you: `zebra users enrol --code CODE -o FILE`)',
  );
}

/** Lists events through the gRPC API. */
export async function fetchEvents(
  server: string,
  token: string,
  tls: ClientTls,
  pageSize: number,
  cameraId = '',
  pageToken = '',
): Promise<ListEventsResponse> {
  const client = new ApiClient(server, token, tls);
  try {
    return await client.unary(
      EventServiceService.listEvents,
      ListEventsRequest.fromPartial({ pageSize, cameraId, pageToken }),
    );
  } finally {
    client.close();
  }
}

export async function fetchEvent(
  server: string,
  token: string,
  tls: ClientTls,
  eventId: string,
): Promise<GetEventResponse> {
  const client = new ApiClient(server, token, tls);
  try {
    return await client.unary(EventServiceService.getEvent, GetEventRequest.fromPartial({ eventId }));
  } finally {
    client.close();
  }
}

/** FetchMissingEvents for one camera, as a line for a terminal. */
export async function fetchMissing(
  server: string,
  token: string,
  tls: ClientTls,
  deviceId: string,
  cameraId: string,
): Promise<string> {
  const client = new ApiClient(server, token, tls);
  try {
    const r = await client.unary(
      EventServiceService.fetchMissingEvents,
      FetchMissingEventsRequest.fromPartial({ deviceId, cameraId }),
    );
    if (r.found.length === 0 && r.notInOutbox.length === 0) return `${deviceId}/${cameraId}: no gaps\n`;
    const list = (seqs: number[]): string => (seqs.length ? seqs.join(', ') : 'none');
    return (
      `${deviceId}/${cameraId} at ${r.siteId}: sent to ingest again: ${list(r.found)}; ` +
      `not in the site outbox: ${list(r.notInOutbox)}\n`
    );
  } finally {
    client.close();
  }
}

const stateWords = (state: ReviewState): string => reviewStateLabel(ReviewState[state] ?? 'unknown');

/** A table of events for a terminal: local times to the millisecond, states in words. */
export function formatEventTable(events: readonly EventSummary[]): string {
  if (events.length === 0) return 'No events.\n';
  const rows = events.map((e) => [
    timeWithMs(e.occurredAtMs),
    `${e.cameraId} #${e.cameraSeq}`,
    e.zoneId,
    signalLabel(e.signalState),
    e.msSinceSteadyDontWalk > 0 ? `${(e.msSinceSteadyDontWalk / 1000).toFixed(1)} s` : '—',
    `${Math.round(e.confidence * 100)} %`,
    String(e.evidenceCount),
    stateWords(e.reviewState),
    e.eventId,
  ]);
  const header = ['OCCURRED (LOCAL)', 'CAMERA', 'ZONE', 'SIGNAL', 'AFTER DW', 'CONF', 'EVIDENCE', 'STATE', 'EVENT ID'];
  return formatTable(header, rows) + `${events.length} event(s)\n`;
}

const SOURCES: Readonly<Record<number, string>> = {
  [SignalSourceKind.SIGNAL_SOURCE_KIND_CONTROLLER_FEED]: "the signal controller's feed",
  [SignalSourceKind.SIGNAL_SOURCE_KIND_SCHEDULE_FILE]: 'a schedule file (a timetable, not the controller)',
};
const CLOCKS: Readonly<Record<number, string>> = {
  [ClockSyncState.CLOCK_SYNC_STATE_SYNCED]: 'synchronised',
  [ClockSyncState.CLOCK_SYNC_STATE_UNSYNCED]: 'NOT synchronised',
  [ClockSyncState.CLOCK_SYNC_STATE_UNKNOWN]: 'unknown',
};
const EVIDENCE: Readonly<Record<number, string>> = {
  [EvidenceStatus.EVIDENCE_STATUS_PUBLISHED]: 'published',
  [EvidenceStatus.EVIDENCE_STATUS_WITHHELD_REDACTION_FAILED]: 'withheld: redaction failed on the device',
  [EvidenceStatus.EVIDENCE_STATUS_WITHHELD_QUEUE_FULL]: "withheld: the device's evidence queue was full",
};

/** One event for a terminal: what happened in words, then the identifiers and hashes. */
export function formatEventDetail(response: GetEventResponse): string {
  const e = response.event;
  if (!e) return 'No event.\n';
  const s = e.signal;
  const facts: [string, string][] = [
    ['Occurred', timeWithMs(e.occurredAtMs)],
    ['Where', `site ${e.siteId}, camera ${e.cameraId} (#${e.cameraSeq}), zone ${e.zoneId} v${e.zoneVersion}`],
    [
      'Signal',
      s
        ? `${signalLabel(s.state)}${s.msSinceSteadyDontWalk > 0 ? `, entered ${(s.msSinceSteadyDontWalk / 1000).toFixed(1)} s after steady DON'T WALK began` : ''}`
        : 'not recorded',
    ],
    ['Signal source', s ? `${SOURCES[s.source] ?? 'unknown'} (${s.sourceId || 'unnamed'})` : 'unknown'],
    ['Device clock', CLOCKS[e.clock?.state ?? 0] ?? 'not stated'],
    ['Enforcement', e.enforcement?.suspended ? `SUSPENDED (${e.enforcement.reasonCodes.join(', ')})` : 'active'],
    ['Confidence', `${Math.round((e.confidence?.value ?? 0) * 100)} %`],
    ['Review', stateWords(response.reviewState)],
    ['Received', timeWithMs(response.receivedAtMs)],
    ['Evidence', EVIDENCE[e.evidenceStatus] ?? 'not stated'],
  ];
  const evidence = e.evidence.map((r) => [
    r.role || 'object',
    timeWithMs(r.frameCapturedAtMs),
    r.mediaType,
    `${(r.sizeBytes / 1024).toFixed(1)} KiB`,
    r.redaction ? `${r.redaction.method}, ${r.redaction.facesFound} faces` : '—',
  ]);
  const track = e.track?.observations ?? [];
  const details: [string, string][] = [
    ['Event id', e.eventId],
    ['Device', `${e.deviceId}, software ${e.edgeSoftwareVersion || 'not stated'}`],
    ['Signature key', response.signatureKeyId || 'none registered at ingest'],
    ['Config SHA-256', e.configSha256 || 'not stated'],
    ...e.models.map((m): [string, string] => [`Model ${m.modelId}`, m.sha256Hex]),
    ...e.evidence.map((r): [string, string] => [`SHA-256 ${r.role || 'object'}`, r.sha256Hex]),
  ];
  const width = Math.max(...[...facts, ...details].map(([k]) => k.length));
  const lines = (rows: readonly [string, string][]): string =>
    rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
  return (
    `Event on ${e.cameraId}, ${timeWithMs(e.occurredAtMs)}\n` +
    lines(facts) +
    `\nEvidence (${e.evidence.length})\n` +
    (evidence.length
      ? formatTable(['ROLE', 'CAPTURED (LOCAL)', 'TYPE', 'SIZE', 'REDACTION'], evidence)
          .split('\n')
          .map((l) => (l ? `  ${l}` : l))
          .join('\n')
      : '  none\n') +
    `\nTrack: ${track.length} observations` +
    (track.length ? `, ${timeWithMs(track[0]!.capturedAtMs)} to ${timeWithMs(track.at(-1)!.capturedAtMs)}` : '') +
    '\n\nDetails\n' +
    lines(details)
  );
}
