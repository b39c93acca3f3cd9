-- Ingested infraction events. The full signed contract is kept as received (payload);
-- the columns are what lists and filters need.
CREATE TABLE events (
  event_id uuid PRIMARY KEY,
  device_id text NOT NULL,
  site_id text NOT NULL,
  camera_id text NOT NULL,
  camera_seq bigint NOT NULL CHECK (camera_seq > 0),
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  zone_id text NOT NULL,
  zone_version integer NOT NULL,
  signal_state smallint NOT NULL,
  ms_since_steady_dont_walk bigint NOT NULL,
  confidence real NOT NULL,
  evidence_count integer NOT NULL,
  review_state text NOT NULL DEFAULT 'received',
  stream_seq bigint NOT NULL,
  payload bytea NOT NULL,
  UNIQUE (device_id, camera_id, camera_seq)
);

CREATE INDEX events_by_time ON events (occurred_at DESC, event_id DESC);

CREATE INDEX events_by_camera ON events (camera_id, occurred_at DESC);

-- Messages that could not be ingested, kept with their reason so nothing is silently lost.
CREATE TABLE quarantine (
  id bigserial PRIMARY KEY,
  stream_seq bigint NOT NULL,
  subject text NOT NULL,
  reason_code text NOT NULL,
  reason text NOT NULL,
  payload bytea NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
