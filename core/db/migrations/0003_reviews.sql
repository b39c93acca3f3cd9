-- The review of each event. version increments with every transition; writers use
-- UPDATE ... WHERE version = $expected (optimistic concurrency).
CREATE TABLE reviews (
  event_id uuid PRIMARY KEY REFERENCES events (event_id),
  state text NOT NULL CHECK (state IN ('received', 'queued', 'in_review', 'rejected', 'confirmed', 'linked',
    'approved', 'closed', 'appealed', 'upheld', 'denied', 'expired')),
  version integer NOT NULL,
  claim_by text,
  claim_expires_at timestamptz,
  confirmed_by text,
  linked_by text,
  approved_by text,
  citation_number text,
  issuing_officer text,
  subject_ref text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (approved_by IS NULL OR (approved_by <> confirmed_by AND approved_by <> linked_by))
);

CREATE INDEX reviews_by_state ON reviews (state, updated_at);

-- A person as a lawful record names them: an opaque reference entered by a reviewer.
-- No image, no biometric data, nothing derived by the system.
CREATE TABLE subjects (
  subject_ref text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE reviews ADD CONSTRAINT reviews_subject_fk FOREIGN KEY (subject_ref) REFERENCES subjects (subject_ref);

-- Points movements. One deduction and at most one reversal per event, enforced here too.
CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  subject_ref text NOT NULL REFERENCES subjects (subject_ref),
  event_id uuid NOT NULL REFERENCES events (event_id),
  kind text NOT NULL CHECK (kind IN ('deduction', 'reversal')),
  points integer NOT NULL,
  at timestamptz NOT NULL,
  expires_at timestamptz,
  UNIQUE (event_id, kind)
);

CREATE INDEX ledger_by_subject ON ledger_entries (subject_ref, at);

-- When each person opened an event's evidence, and why. A decision needs the evidence open
-- for the minimum viewing time, measured from the first opening by the deciding person.
CREATE TABLE evidence_views (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES events (event_id),
  actor text NOT NULL,
  purpose text NOT NULL,
  opened_at timestamptz NOT NULL
);

CREATE INDEX evidence_views_by_event_actor ON evidence_views (event_id, actor, opened_at);

-- Every event already ingested gets its review row.
INSERT INTO reviews (event_id, state, version)
SELECT event_id, 'queued', 1 FROM events;

-- The review state now lives in reviews.
ALTER TABLE events DROP COLUMN review_state;
