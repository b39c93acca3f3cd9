-- Edge devices and the Ed25519 key each one signs its events with. Ingest verifies every
-- event's signature against the registered key of the device it names.
CREATE TABLE devices (
  device_id text PRIMARY KEY,
  site_id text NOT NULL,
  key_id text NOT NULL,
  public_key bytea NOT NULL,
  registered_at timestamptz NOT NULL,
  registered_by text NOT NULL
);

-- The registered key an event's signature was verified against (NULL for older events).
ALTER TABLE events ADD COLUMN signature_key_id text;
