import type { Queryable } from '../db/database.js';

/** ListSequenceGaps lists at most this many runs per camera: the newest (highest numbers). */
export const GAPS_LISTED_PER_CAMERA = 100;

export interface SequenceGap {
  readonly firstMissing: number;
  readonly lastMissing: number;
}

export interface CameraSequenceState {
  readonly deviceId: string;
  readonly cameraId: string;
  readonly highestSeq: number;
  readonly storedCount: number;
  /** The newest runs of missing numbers (at most the limit asked for), lowest first. */
  readonly gaps: SequenceGap[];
  /** Runs kept for the camera (the database keeps at most sequence_gap_runs_kept(), migration 0014). */
  readonly gapCount: number;
  /** Numbers missing below the highest: highestSeq - storedCount. */
  readonly missingCount: number;
  /** Numbers at or below this are no longer tracked as runs; 0 if none were dropped. */
  readonly untrackedThrough: number;
}

type Int = string | number;

/**
 * Per camera, the highest stored sequence number, how many are stored and missing, and the newest
 * `gapsPerCamera` runs of missing numbers. Reads the state ingest keeps (migration 0014): one row
 * per camera and at most `gapsPerCamera` index reads each, whatever the number of events.
 */
export async function sequenceGaps(
  db: Queryable,
  gapsPerCamera = GAPS_LISTED_PER_CAMERA,
): Promise<CameraSequenceState[]> {
  const { rows: cameras } = await db.query<{
    device_id: string;
    camera_id: string;
    highest_seq: Int;
    stored_count: Int;
    gap_runs: Int;
    untracked_through: Int;
  }>(
    `SELECT device_id, camera_id, highest_seq, stored_count, gap_runs, untracked_through FROM camera_sequences
     ORDER BY device_id, camera_id`,
  );
  const { rows: gaps } = await db.query<{
    device_id: string;
    camera_id: string;
    first_missing: Int;
    last_missing: Int;
  }>(
    `SELECT c.device_id, c.camera_id, g.first_missing, g.last_missing FROM camera_sequences c
     CROSS JOIN LATERAL (SELECT s.first_missing, s.last_missing FROM sequence_gaps s
       WHERE s.device_id = c.device_id AND s.camera_id = c.camera_id ORDER BY s.first_missing DESC LIMIT $1) g
     ORDER BY c.device_id, c.camera_id, g.first_missing`,
    [gapsPerCamera],
  );
  const byCamera = new Map<string, SequenceGap[]>();
  for (const g of gaps) {
    const key = JSON.stringify([g.device_id, g.camera_id]);
    const list = byCamera.get(key) ?? [];
    list.push({ firstMissing: Number(g.first_missing), lastMissing: Number(g.last_missing) });
    byCamera.set(key, list);
  }
  return cameras.map((c) => ({
    deviceId: c.device_id,
    cameraId: c.camera_id,
    highestSeq: Number(c.highest_seq),
    storedCount: Number(c.stored_count),
    gaps: byCamera.get(JSON.stringify([c.device_id, c.camera_id])) ?? [],
    gapCount: Number(c.gap_runs),
    missingCount: Number(c.highest_seq) - Number(c.stored_count),
    untrackedThrough: Number(c.untracked_through),
  }));
}

/** One camera's lowest `maxRuns` runs of missing numbers, lowest first. */
export async function cameraGaps(
  db: Queryable,
  deviceId: string,
  cameraId: string,
  maxRuns: number,
): Promise<SequenceGap[]> {
  const { rows } = await db.query<{ first_missing: Int; last_missing: Int }>(
    `SELECT first_missing, last_missing FROM sequence_gaps WHERE device_id = $1 AND camera_id = $2
     ORDER BY first_missing LIMIT $3`,
    [deviceId, cameraId, maxRuns],
  );
  return rows.map((r) => ({ firstMissing: Number(r.first_missing), lastMissing: Number(r.last_missing) }));
}
