-- The append-only Merkle audit log (RFC 6962 leaves). seq is the leaf index.
-- canonical holds the exact bytes that were hashed; the other columns are for queries.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq >= 0),
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  canonical bytea NOT NULL,
  leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32)
);

CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

-- Signed tree heads. The signing key lives outside the database.
CREATE TABLE audit_checkpoints (
  tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
  root_hash bytea NOT NULL,
  at timestamptz NOT NULL,
  origin text NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL
);

-- Defence in depth: rows are never updated or deleted by the application.
-- Tamper evidence still comes from the signed checkpoints, not from this trigger.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER audit_checkpoints_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
