-- A quarantined message whose device was registered afterwards is released: verified again
-- and stored. The quarantine row stays, marked with when and as which event.
ALTER TABLE quarantine ADD COLUMN released_at timestamptz;
ALTER TABLE quarantine ADD COLUMN released_event_id uuid;
