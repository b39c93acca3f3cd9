-- Junk is quarantined within bounds (docs/security.md, "Ingest under hostile input"): a refused
-- message no registration can cure keeps at most a capped prefix of its payload, with its full
-- size and SHA-256; beyond a per-minute budget such messages are only counted, per minute, source
-- (the subject up to the device) and reason. A minute's counts are audited once, after it ends.
ALTER TABLE quarantine ADD COLUMN payload_size integer;
ALTER TABLE quarantine ADD COLUMN payload_sha256 text;

CREATE TABLE quarantine_overflow (
  minute_start timestamptz NOT NULL,
  source text NOT NULL,
  reason_code text NOT NULL,
  messages bigint NOT NULL,
  payload_bytes bigint NOT NULL,
  first_stream_seq bigint NOT NULL,
  last_stream_seq bigint NOT NULL,
  -- SHA-256 chained over the counted messages' payload SHA-256s, in the order they were counted.
  payloads_sha256 bytea NOT NULL,
  audited_at timestamptz,
  PRIMARY KEY (minute_start, source, reason_code)
);

CREATE INDEX quarantine_overflow_unaudited ON quarantine_overflow (minute_start) WHERE audited_at IS NULL;
