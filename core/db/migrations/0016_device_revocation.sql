-- A revoked device: ingest quarantines what it signs (reason revoked_device) until an admin
-- registers it again, with a new key. NULL while the device is not revoked.
ALTER TABLE devices ADD COLUMN revoked_at timestamptz;
