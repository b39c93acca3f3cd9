import { credentials, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { EventServiceClient, ReviewState, SignalState } from '../proto/index.js';
import type { EventSummary, GetEventResponse, ListEventsResponse } from '../proto/index.js';

const DEADLINE_MS = 10_000;

type Invoke<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: { deadline: Date },
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

const UNREACHABLE_HINT = 'is the core running? Pass --server HOST:PORT or set ZEBRA_GRPC_ADDR';

function call<Req, Res>(server: string, invoke: Invoke<Req, Res>, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    invoke(request, new Metadata(), { deadline: new Date(Date.now() + DEADLINE_MS) }, (err, res) => {
      if (!err) return resolve(res);
      if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED) {
        return reject(
          Object.assign(err, { details: `cannot reach the zebra core at ${server} (${UNREACHABLE_HINT})` }),
        );
      }
      reject(err);
    }),
  );
}

/** Lists events through the gRPC API. */
export async function fetchEvents(server: string, pageSize: number, cameraId = ''): Promise<ListEventsResponse> {
  const client = new EventServiceClient(server, credentials.createInsecure());
  try {
    return await call(server, client.listEvents.bind(client), { pageSize, pageToken: '', cameraId });
  } finally {
    client.close();
  }
}

export async function fetchEvent(server: string, eventId: string): Promise<GetEventResponse> {
  const client = new EventServiceClient(server, credentials.createInsecure());
  try {
    return await call(server, client.getEvent.bind(client), { eventId });
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
