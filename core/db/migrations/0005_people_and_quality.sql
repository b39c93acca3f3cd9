-- People who use the API. Roles: reviewer, supervisor, auditor, admin.
CREATE TABLE users (
  user_id text PRIMARY KEY CHECK (user_id ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  display_name text NOT NULL,
  roles text[] NOT NULL CHECK (roles <@ ARRAY['reviewer', 'supervisor', 'auditor', 'admin']::text[] AND cardinality(roles) > 0),
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens. Only a SHA-256 of the secret is kept; the secret is shown once.
CREATE TABLE api_tokens (
  token_id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (user_id),
  secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

-- Every decision with its reason code and how long the evidence had been open: the basis of
-- agreement figures and the transparency report. The audit log holds the same facts, hashed.
CREATE TABLE review_decisions (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES events (event_id),
  actor text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('confirm', 'reject', 'approve', 'deny', 'appeal', 'uphold_appeal', 'deny_appeal', 'expire')),
  reason_code text NOT NULL DEFAULT '',
  evidence_viewed_ms bigint,
  at timestamptz NOT NULL
);

CREATE INDEX review_decisions_by_event ON review_decisions (event_id, at);
CREATE INDEX review_decisions_by_actor ON review_decisions (actor, at);

-- Known-answer items: a decided event shown again as ordinary first-review work.
CREATE TABLE known_answers (
  item_id uuid PRIMARY KEY,
  source_event_id uuid NOT NULL REFERENCES events (event_id),
  expected_decision text NOT NULL CHECK (expected_decision IN ('confirm', 'reject')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);

-- One answer per reviewer per known-answer item.
CREATE TABLE known_answer_results (
  item_id uuid NOT NULL REFERENCES known_answers (item_id),
  reviewer text NOT NULL,
  decision text NOT NULL CHECK (decision IN ('confirm', 'reject')),
  reason_code text NOT NULL,
  agreed boolean NOT NULL,
  evidence_viewed_ms bigint NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (item_id, reviewer)
);

-- Evidence objects deleted by retention, and why.
CREATE TABLE evidence_purges (
  event_id uuid NOT NULL REFERENCES events (event_id),
  object_key text NOT NULL,
  sha256_hex text NOT NULL,
  reason text NOT NULL,
  purged_at timestamptz NOT NULL,
  PRIMARY KEY (event_id, object_key)
);

-- Candidates the edge looked at and did not send as infractions, counted per reason and hour.
CREATE TABLE machine_rejections (
  site_id text NOT NULL,
  camera_id text NOT NULL,
  reason_code text NOT NULL,
  hour_start timestamptz NOT NULL,
  count integer NOT NULL CHECK (count >= 0),
  PRIMARY KEY (site_id, camera_id, reason_code, hour_start)
);

-- The rule an event breaks; the points deducted depend on it.
ALTER TABLE events ADD COLUMN infraction_kind text NOT NULL DEFAULT 'entered_on_steady_dont_walk';
