-- The transparency report from counters kept as rows are written (issue 14): per UTC day, camera,
-- stage and reason, how many events were received, decisions taken and candidates the edge
-- rejected. Triggers keep them, so every write path is counted in the writing transaction; the
-- report reads only the counter rows of its period, never events. n is the count reported;
-- source_rows the rows it came from (a machine_rejections row may hold a count of 0, and the
-- report lists such a row as today's query did).
CREATE TABLE report_counts (
  day date NOT NULL,
  camera_id text NOT NULL,
  stage text NOT NULL,
  reason_code text NOT NULL,
  n bigint NOT NULL,
  source_rows bigint NOT NULL,
  PRIMARY KEY (day, camera_id, stage, reason_code)
);

-- The stage each decision kind reports as.
CREATE FUNCTION report_stage_of_decision(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE kind WHEN 'confirm' THEN 'confirmed' WHEN 'reject' THEN 'rejected'
    WHEN 'approve' THEN 'approved' WHEN 'deny' THEN 'denied_at_second_review' WHEN 'appeal' THEN 'appealed'
    WHEN 'uphold_appeal' THEN 'appeal_upheld' WHEN 'deny_appeal' THEN 'appeal_denied' ELSE 'expired' END
$$;

-- One statement's rows counted at once; keys in order, so concurrent writers lock counter rows
-- in the same order (no deadlock), and ON CONFLICT adds to what a concurrent writer committed.
CREATE FUNCTION report_counts_of_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_counts AS c (day, camera_id, stage, reason_code, n, source_rows)
  SELECT (received_at AT TIME ZONE 'UTC')::date, camera_id, 'received', '', count(*), count(*)
    FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (day, camera_id, stage, reason_code)
    DO UPDATE SET n = c.n + EXCLUDED.n, source_rows = c.source_rows + EXCLUDED.source_rows;
  RETURN NULL;
END
$$;

CREATE TRIGGER report_counts_events AFTER INSERT ON events
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_counts_of_events();

CREATE FUNCTION report_counts_of_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO report_counts AS c (day, camera_id, stage, reason_code, n, source_rows)
  SELECT (d.at AT TIME ZONE 'UTC')::date, e.camera_id, report_stage_of_decision(d.kind), d.reason_code,
      count(*), count(*)
    FROM new_rows d JOIN events e ON e.event_id = d.event_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, camera_id, stage, reason_code)
    DO UPDATE SET n = c.n + EXCLUDED.n, source_rows = c.source_rows + EXCLUDED.source_rows;
  RETURN NULL;
END
$$;

CREATE TRIGGER report_counts_decisions AFTER INSERT ON review_decisions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_counts_of_decisions();

-- Tallies are upserted (a later message carries the hour's larger count): an update counts
-- as its new row less its old one.
CREATE FUNCTION report_counts_of_rejections() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO report_counts AS c (day, camera_id, stage, reason_code, n, source_rows)
    SELECT (hour_start AT TIME ZONE 'UTC')::date, camera_id, 'machine_rejected', reason_code, sum(count), count(*)
      FROM new_rows GROUP BY 1, 2, 4 ORDER BY 1, 2, 4
    ON CONFLICT (day, camera_id, stage, reason_code)
      DO UPDATE SET n = c.n + EXCLUDED.n, source_rows = c.source_rows + EXCLUDED.source_rows;
  ELSE
    INSERT INTO report_counts AS c (day, camera_id, stage, reason_code, n, source_rows)
    SELECT day, camera_id, 'machine_rejected', reason_code, sum(n), sum(source_rows)
      FROM (SELECT (hour_start AT TIME ZONE 'UTC')::date AS day, camera_id, reason_code, count::bigint AS n,
              1 AS source_rows FROM new_rows
            UNION ALL
            SELECT (hour_start AT TIME ZONE 'UTC')::date, camera_id, reason_code, -count::bigint, -1 FROM old_rows) x
      GROUP BY 1, 2, 4 ORDER BY 1, 2, 4
    ON CONFLICT (day, camera_id, stage, reason_code)
      DO UPDATE SET n = c.n + EXCLUDED.n, source_rows = c.source_rows + EXCLUDED.source_rows;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER report_counts_rejections_insert AFTER INSERT ON machine_rejections
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_counts_of_rejections();

CREATE TRIGGER report_counts_rejections_update AFTER UPDATE ON machine_rejections
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_counts_of_rejections();

-- The counters (and the camera sequence state of 0014) follow rows as they are written: the
-- rows they count are a record, never deleted or moved to another camera or day.
CREATE FUNCTION refuse_counted_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is refused: its rows are counted as written (report counters, camera sequences)',
    TG_OP, TG_TABLE_NAME;
END
$$;

CREATE TRIGGER events_counted_no_delete BEFORE DELETE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER events_counted_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER events_counted_columns BEFORE UPDATE OF device_id, camera_id, camera_seq, received_at ON events
  FOR EACH ROW WHEN (OLD.device_id IS DISTINCT FROM NEW.device_id OR OLD.camera_id IS DISTINCT FROM NEW.camera_id
    OR OLD.camera_seq IS DISTINCT FROM NEW.camera_seq OR OLD.received_at IS DISTINCT FROM NEW.received_at)
  EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER review_decisions_counted_no_delete BEFORE DELETE ON review_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER review_decisions_counted_no_truncate BEFORE TRUNCATE ON review_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER review_decisions_counted_columns BEFORE UPDATE OF event_id, kind, reason_code, at ON review_decisions
  FOR EACH ROW WHEN (OLD.event_id IS DISTINCT FROM NEW.event_id OR OLD.kind IS DISTINCT FROM NEW.kind
    OR OLD.reason_code IS DISTINCT FROM NEW.reason_code OR OLD.at IS DISTINCT FROM NEW.at)
  EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER machine_rejections_counted_no_delete BEFORE DELETE ON machine_rejections
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

CREATE TRIGGER machine_rejections_counted_no_truncate BEFORE TRUNCATE ON machine_rejections
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_counted_change();

-- The counts of what is already stored (the triggers above lock these tables until this
-- migration commits, so no write falls between the backfill and the triggers).
INSERT INTO report_counts (day, camera_id, stage, reason_code, n, source_rows)
SELECT (received_at AT TIME ZONE 'UTC')::date, camera_id, 'received', '', count(*), count(*)
  FROM events GROUP BY 1, 2;

INSERT INTO report_counts (day, camera_id, stage, reason_code, n, source_rows)
SELECT (d.at AT TIME ZONE 'UTC')::date, e.camera_id, report_stage_of_decision(d.kind), d.reason_code, count(*), count(*)
  FROM review_decisions d JOIN events e ON e.event_id = d.event_id GROUP BY 1, 2, 3, 4;

INSERT INTO report_counts (day, camera_id, stage, reason_code, n, source_rows)
SELECT (hour_start AT TIME ZONE 'UTC')::date, camera_id, 'machine_rejected', reason_code, sum(count), count(*)
  FROM machine_rejections GROUP BY 1, 2, 4;
