-- Per camera sequence state kept at ingest (issue 14), so listing gaps never reads events: the
-- highest number stored, how many are stored, and the runs of missing numbers below the highest.
-- A number above the highest opens a run; a late arrival inside a run shrinks or splits it.
-- At most sequence_gap_runs_kept() runs are kept per camera: beyond it the lowest runs are
-- dropped and untracked_through says up to where (the missing count, highest_seq - stored_count,
-- stays exact).
CREATE TABLE camera_sequences (
  device_id text NOT NULL,
  camera_id text NOT NULL,
  highest_seq bigint NOT NULL,
  stored_count bigint NOT NULL,
  gap_runs bigint NOT NULL,
  untracked_through bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, camera_id)
);

CREATE TABLE sequence_gaps (
  device_id text NOT NULL,
  camera_id text NOT NULL,
  first_missing bigint NOT NULL,
  last_missing bigint NOT NULL CHECK (last_missing >= first_missing),
  PRIMARY KEY (device_id, camera_id, first_missing)
);

CREATE FUNCTION sequence_gap_runs_kept() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 10000::bigint $$;

-- Drops a camera's lowest runs beyond the cap; returns the new untracked_through.
CREATE FUNCTION camera_sequences_trim(dev text, cam text, runs bigint, untracked bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  dropped bigint;
BEGIN
  IF runs <= sequence_gap_runs_kept() THEN
    RETURN untracked;
  END IF;
  WITH lowest AS (
    SELECT first_missing FROM sequence_gaps WHERE device_id = dev AND camera_id = cam
    ORDER BY first_missing LIMIT runs - sequence_gap_runs_kept()
  ), gone AS (
    DELETE FROM sequence_gaps g USING lowest
    WHERE g.device_id = dev AND g.camera_id = cam AND g.first_missing = lowest.first_missing
    RETURNING g.last_missing
  )
  SELECT max(last_missing) INTO dropped FROM gone;
  RETURN greatest(untracked, coalesce(dropped, 0));
END
$$;

-- One statement's new events, per camera in (device, camera, seq) order: each camera's row is
-- locked once, in the same order by every writer; duplicates never reach here (the insert
-- skips them, and a second event with a stored number fails its statement).
CREATE FUNCTION camera_sequences_of_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
  g record;
  dev text := NULL;
  cam text := NULL;
  highest bigint;
  stored bigint;
  runs bigint;
  untracked bigint;
BEGIN
  FOR r IN SELECT device_id, camera_id, camera_seq FROM new_rows ORDER BY device_id, camera_id, camera_seq LOOP
    IF dev IS DISTINCT FROM r.device_id OR cam IS DISTINCT FROM r.camera_id THEN
      IF dev IS NOT NULL THEN
        untracked := camera_sequences_trim(dev, cam, runs, untracked);
        UPDATE camera_sequences SET highest_seq = highest, stored_count = stored,
            gap_runs = least(runs, sequence_gap_runs_kept()), untracked_through = untracked
          WHERE device_id = dev AND camera_id = cam;
      END IF;
      dev := r.device_id;
      cam := r.camera_id;
      INSERT INTO camera_sequences (device_id, camera_id, highest_seq, stored_count, gap_runs)
        VALUES (dev, cam, 0, 0, 0) ON CONFLICT DO NOTHING;
      SELECT s.highest_seq, s.stored_count, s.gap_runs, s.untracked_through INTO highest, stored, runs, untracked
        FROM camera_sequences s WHERE s.device_id = dev AND s.camera_id = cam FOR UPDATE;
    END IF;
    stored := stored + 1;
    IF r.camera_seq > highest THEN
      IF r.camera_seq > highest + 1 THEN
        INSERT INTO sequence_gaps VALUES (dev, cam, highest + 1, r.camera_seq - 1);
        runs := runs + 1;
      END IF;
      highest := r.camera_seq;
    ELSIF r.camera_seq > untracked THEN
      SELECT s.first_missing, s.last_missing INTO g FROM sequence_gaps s
        WHERE s.device_id = dev AND s.camera_id = cam AND s.first_missing <= r.camera_seq
        ORDER BY s.first_missing DESC LIMIT 1;
      IF FOUND AND g.last_missing >= r.camera_seq THEN
        IF g.first_missing = r.camera_seq AND g.last_missing = r.camera_seq THEN
          DELETE FROM sequence_gaps WHERE device_id = dev AND camera_id = cam AND first_missing = g.first_missing;
          runs := runs - 1;
        ELSIF g.first_missing = r.camera_seq THEN
          UPDATE sequence_gaps SET first_missing = r.camera_seq + 1
            WHERE device_id = dev AND camera_id = cam AND first_missing = g.first_missing;
        ELSE
          UPDATE sequence_gaps SET last_missing = r.camera_seq - 1
            WHERE device_id = dev AND camera_id = cam AND first_missing = g.first_missing;
          IF g.last_missing > r.camera_seq THEN
            INSERT INTO sequence_gaps VALUES (dev, cam, r.camera_seq + 1, g.last_missing);
            runs := runs + 1;
          END IF;
        END IF;
      END IF;
    END IF;
  END LOOP;
  IF dev IS NOT NULL THEN
    untracked := camera_sequences_trim(dev, cam, runs, untracked);
    UPDATE camera_sequences SET highest_seq = highest, stored_count = stored,
        gap_runs = least(runs, sequence_gap_runs_kept()), untracked_through = untracked
      WHERE device_id = dev AND camera_id = cam;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER camera_sequences_events AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION camera_sequences_of_events();

-- The state of what is already stored (the trigger above locks events until this commits).
INSERT INTO camera_sequences (device_id, camera_id, highest_seq, stored_count, gap_runs)
SELECT device_id, camera_id, max(camera_seq), count(*), 0 FROM events GROUP BY device_id, camera_id;

INSERT INTO sequence_gaps (device_id, camera_id, first_missing, last_missing)
SELECT device_id, camera_id, coalesce(prev_seq, 0) + 1, camera_seq - 1
FROM (SELECT device_id, camera_id, camera_seq,
        lag(camera_seq) OVER (PARTITION BY device_id, camera_id ORDER BY camera_seq) AS prev_seq
      FROM events) s
WHERE camera_seq > coalesce(prev_seq, 0) + 1;

UPDATE camera_sequences c SET gap_runs = g.runs
FROM (SELECT device_id, camera_id, count(*) AS runs FROM sequence_gaps GROUP BY device_id, camera_id) g
WHERE g.device_id = c.device_id AND g.camera_id = c.camera_id;

-- The backfill keeps the cap too: a camera's lowest runs beyond it are dropped.
UPDATE camera_sequences c SET untracked_through = camera_sequences_trim(c.device_id, c.camera_id, c.gap_runs, 0),
    gap_runs = least(c.gap_runs, sequence_gap_runs_kept())
WHERE c.gap_runs > sequence_gap_runs_kept();
