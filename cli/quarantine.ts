import {
  CandidateTally,
  EventServiceService,
  GetQuarantinedRequest,
  GetQuarantinedResponse,
  InfractionEvent,
  ListQuarantineRequest,
  ListQuarantineResponse,
} from '../proto/index.js';
import type { QuarantinedMessage } from '../proto/index.js';
import type { ListOpts } from './admin-lists.js';
import { withApi } from './command-kit.js';
import { formatTable, tableTime } from './output.js';

/** How much of an undecodable payload `quarantine show` prints. */
export const HEX_PREVIEW_BYTES = 256;

const TALLIES_PREFIX = 'zebra.v1.tallies.';

const state = (m: QuarantinedMessage): string =>
  m.releasedAtMs > 0 ? `released ${tableTime(m.releasedAtMs)}` : 'quarantined';

/** The quarantine table: reason, subject, time and size; no payload. */
export function formatQuarantine(response: ListQuarantineResponse): string {
  if (response.messages.length === 0) return 'Nothing quarantined.\n';
  const rows = response.messages.map((m) => [
    String(m.id),
    tableTime(m.receivedAtMs),
    m.reasonCode,
    m.subject,
    String(m.payloadSizeBytes),
    state(m),
  ]);
  return formatTable(['ID', 'RECEIVED (UTC)', 'REASON', 'SUBJECT', 'BYTES', 'STATE'], rows);
}

/** The payload as the message it is meant to be, when it is whole and decodes as one. */
export function decodePayload(subject: string, payload: Uint8Array): unknown {
  try {
    if (subject.startsWith(TALLIES_PREFIX)) {
      const tally = CandidateTally.decode(payload);
      return tally.deviceId ? CandidateTally.toJSON(tally) : undefined;
    }
    const event = InfractionEvent.decode(payload);
    return event.eventId && event.deviceId ? InfractionEvent.toJSON(event) : undefined;
  } catch {
    return undefined;
  }
}

/** Offset, hex and printable ASCII, 16 bytes a line. */
export function hexPreview(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const chunk = bytes.subarray(at, at + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** One quarantined message in words; the payload decoded, or its first bytes in hex. */
export function formatQuarantined(response: GetQuarantinedResponse): string {
  const m = response.message;
  if (!m) return 'No such message.\n';
  const head = response.payloadHead;
  const isWhole = m.payloadKeptBytes === m.payloadSizeBytes && head.length === m.payloadKeptBytes;
  const decoded = isWhole ? decodePayload(m.subject, head) : undefined;
  const lines = [
    `Quarantined message ${m.id} (${state(m)})`,
    `  received    ${tableTime(m.receivedAtMs)} UTC`,
    `  reason      ${m.reasonCode}: ${m.reason}`,
    `  subject     ${m.subject}`,
    `  size        ${m.payloadSizeBytes} bytes (${m.payloadKeptBytes} kept)`,
    ...(m.releasedEventId ? [`  released as event ${m.releasedEventId}`] : []),
    `  stream seq  ${m.streamSeq}`,
    `  sha-256     ${m.payloadSha256 || '(not recorded)'}`,
    '',
  ];
  if (decoded !== undefined) {
    lines.push('Decoded message:', JSON.stringify(decoded, null, 2));
  } else {
    const shown = head.subarray(0, HEX_PREVIEW_BYTES);
    lines.push(
      `Payload does not decode${isWhole ? '' : ' (only part was kept)'}; first ${shown.length} of ${m.payloadSizeBytes} bytes:`,
      hexPreview(shown),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `zebra quarantine list [--limit N] [--before ID] [--json]` (supervisor, auditor). */
export async function quarantineList(values: ListOpts & { limit?: number; before?: number }): Promise<number> {
  const request = ListQuarantineRequest.fromPartial({ limit: values.limit ?? 0, beforeId: values.before ?? 0 });
  const response = await withApi(values, (c) => c.unary(EventServiceService.listQuarantine, request));
  process.stdout.write(
    values.json ? `${JSON.stringify(ListQuarantineResponse.toJSON(response), null, 2)}\n` : formatQuarantine(response),
  );
  return 0;
}

/** `zebra quarantine show ID [--json]` (supervisor, auditor): never more than 64 KiB of payload. */
export async function quarantineShow(values: ListOpts, [id]: string[]): Promise<number> {
  const request = GetQuarantinedRequest.fromPartial({ id: Number(id) });
  const response = await withApi(values, (c) => c.unary(EventServiceService.getQuarantined, request));
  process.stdout.write(
    values.json ? `${JSON.stringify(GetQuarantinedResponse.toJSON(response), null, 2)}\n` : formatQuarantined(response),
  );
  return 0;
}
