-- The next audit sequence number, one row. An append reserves its numbers with
-- UPDATE ... RETURNING, which holds the row's lock until the transaction ends: appends are
-- serialised on it, the numbers roll back with a failed transaction (no gaps), and the
-- reservation can ride in the same statement as the rows it records.
CREATE TABLE audit_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  next_seq bigint NOT NULL CHECK (next_seq >= 0)
);

INSERT INTO audit_head (next_seq) SELECT coalesce(max(seq) + 1, 0) FROM audit_log;

-- At commit, the numbers reserved are exactly the entries appended: a writer that reserved
-- and did not append (or appended past its reservation) fails its transaction.
CREATE FUNCTION audit_head_matches_log() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  logged bigint := (SELECT coalesce(max(seq) + 1, 0) FROM audit_log);
  -- The head as it is now: a transaction that appended twice checks its final count, twice.
  reserved bigint := (SELECT next_seq FROM audit_head);
BEGIN
  IF reserved <> logged THEN
    RAISE EXCEPTION 'audit log holds % entries but % sequence numbers were reserved', logged, reserved;
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_head_checked_at_commit AFTER UPDATE ON audit_head
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_head_matches_log();

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
