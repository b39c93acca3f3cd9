import type { FetchMissingEventsRequest, FetchMissingEventsResponse } from '../../proto/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import { findDevice } from '../devices/devices-repo.js';
import { CoreError, CoreErrorCode } from '../errors.js';
import { cameraGaps } from '../events/sequence-state.js';
import { refetchFromSite } from '../ingest/site-fetch.js';
import type { CallContext } from './method.js';

/** At most this many missing numbers are looked for in one call. */
const MAX_WANTED = 10_000;

/** FetchMissingEvents: one camera's gaps, looked up in its site's outbox and sent to ingest again. */
export async function fetchMissingEvents(
  ctx: CallContext,
  req: FetchMissingEventsRequest,
): Promise<FetchMissingEventsResponse> {
  if (!req.deviceId || !req.cameraId)
    throw new CoreError(CoreErrorCode.INVALID_ARGUMENT, 'device_id and camera_id are required');
  const nc = ctx.deps.nats;
  if (!nc) throw new CoreError(CoreErrorCode.NATS_UNAVAILABLE, 'this server has no NATS connection');
  const device = await findDevice(ctx.deps.db, req.deviceId);
  if (!device) throw new CoreError(CoreErrorCode.NOT_FOUND, `no device ${req.deviceId}`);
  // Each run holds at least one number: MAX_WANTED runs, lowest first, hold enough.
  const gaps = await cameraGaps(ctx.deps.db, req.deviceId, req.cameraId, MAX_WANTED);
  const wanted = new Set<number>();
  for (const gap of gaps) {
    for (let seq = gap.firstMissing; seq <= gap.lastMissing && wanted.size < MAX_WANTED; seq++) wanted.add(seq);
  }
  const result =
    wanted.size === 0
      ? { found: [], notInOutbox: [] }
      : await refetchFromSite(nc, { siteId: device.siteId, deviceId: req.deviceId, cameraId: req.cameraId }, wanted);
  await ctx.deps.db.transaction((tx) =>
    appendAudit(tx, {
      atMs: ctx.nowMs,
      actor: ctx.principal.userId,
      action: 'events.refetched',
      subject: `camera:${req.deviceId}/${req.cameraId}`,
      details: { siteId: device.siteId, missing: wanted.size, found: result.found.length },
    }),
  );
  return { siteId: device.siteId, found: result.found, notInOutbox: result.notInOutbox };
}
