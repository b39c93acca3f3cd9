import { readFile } from 'node:fs/promises';
import {
  EventServiceService,
  FetchMissingEventsRequest,
  GetEventRequest,
  ListEventsRequest,
  ReviewState,
  SignalState,
} from '../proto/index.js';
import type { EventSummary, GetEventResponse, ListEventsResponse } from '../proto/index.js';
import { ApiClient } from './api-client.js';
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

const short = (name: string, prefix: string): string => name.replace(prefix, '').toLowerCase();

/** A fixed-width table of events for a terminal. */
export function formatEventTable(events: readonly EventSummary[]): string {
  if (events.length === 0) return 'No events.\n';
  const rows = events.map((e) => [
    new Date(e.occurredAtMs).toISOString().replace('T', ' ').slice(0, 19),
    e.eventId,
    `${e.cameraId}#${e.cameraSeq}`,
    e.zoneId,
    short(SignalState[e.signalState] ?? '', 'SIGNAL_STATE_'),
    `${(e.msSinceSteadyDontWalk / 1000).toFixed(1)}s`,
    e.confidence.toFixed(2),
    String(e.evidenceCount),
    short(ReviewState[e.reviewState] ?? '', 'REVIEW_STATE_'),
  ]);
  const header = ['OCCURRED (UTC)', 'EVENT', 'CAMERA#SEQ', 'ZONE', 'SIGNAL', 'DW FOR', 'CONF', 'EVIDENCE', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + `\n${events.length} event(s)\n`;
}
