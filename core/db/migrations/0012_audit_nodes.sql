-- The Merkle tree's interior: every perfect, aligned subtree root of level >= 1, written by the
-- append that completes it (level 0 is audit_log.leaf_hash). Node (level, idx) is the root of
-- leaves [idx * 2^level, (idx + 1) * 2^level). A root or proof reads O(log n) of them.
CREATE TABLE audit_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx bigint NOT NULL CHECK (idx >= 0),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, idx)
);

CREATE TRIGGER audit_nodes_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER audit_nodes_no_truncate BEFORE TRUNCATE ON audit_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Backfill a log written before this table, level by level: node = SHA-256(0x01 || left || right).
DO $$
DECLARE
  lvl smallint := 1;
  added bigint;
BEGIN
  INSERT INTO audit_nodes (level, idx, hash)
  SELECT 1, l.seq / 2, sha256('\x01'::bytea || l.leaf_hash || r.leaf_hash)
  FROM audit_log l JOIN audit_log r ON r.seq = l.seq + 1
  WHERE l.seq % 2 = 0;
  GET DIAGNOSTICS added = ROW_COUNT;
  WHILE added > 1 LOOP
    INSERT INTO audit_nodes (level, idx, hash)
    SELECT lvl + 1, l.idx / 2, sha256('\x01'::bytea || l.hash || r.hash)
    FROM audit_nodes l JOIN audit_nodes r ON r.level = lvl AND r.idx = l.idx + 1
    WHERE l.level = lvl AND l.idx % 2 = 0;
    GET DIAGNOSTICS added = ROW_COUNT;
    lvl := lvl + 1;
  END LOOP;
END
$$;

-- Period extracts find their entries without reading the whole log.
CREATE INDEX audit_log_by_at ON audit_log (at);

-- At commit, besides the count check of 0008: the log's right edge has its nodes. An append
-- that wrote entries without their nodes (a hand-written INSERT INTO audit_log) fails here
-- instead of leaving proofs that cannot be computed.
CREATE OR REPLACE FUNCTION audit_head_matches_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  logged bigint := (SELECT coalesce(max(seq) + 1, 0) FROM audit_log);
  reserved bigint := (SELECT next_seq FROM audit_head);
  missing_level int;
BEGIN
  IF reserved <> logged THEN
    RAISE EXCEPTION 'audit log holds % entries but % sequence numbers were reserved', logged, reserved;
  END IF;
  SELECT l INTO missing_level FROM generate_series(1, 62) AS l
  WHERE (reserved >> l) % 2 = 1
    AND NOT EXISTS (SELECT 1 FROM audit_nodes n WHERE n.level = l AND n.idx = (reserved >> l) - 1)
  LIMIT 1;
  IF missing_level IS NOT NULL THEN
    RAISE EXCEPTION 'audit log of % entries lacks its Merkle node (level %, index %): append with insertAuditEntries',
      reserved, missing_level, (reserved >> missing_level) - 1;
  END IF;
  RETURN NULL;
END
$$;
