-- Retention finds its work by index, never by walking history (issue 14). A review carries its
-- event's capture time (the open-review limit runs from it) and whether the event still has
-- evidence to purge; partial indexes hold only the reviews retention may act on.
ALTER TABLE reviews ADD COLUMN event_occurred_at timestamptz;

ALTER TABLE reviews ADD COLUMN evidence_pending boolean NOT NULL DEFAULT false;

UPDATE reviews r SET event_occurred_at = e.occurred_at,
    evidence_pending = e.evidence_count > 0 AND NOT EXISTS (SELECT 1 FROM evidence_purges p WHERE p.event_id = r.event_id)
  FROM events e WHERE e.event_id = r.event_id;

-- Ingest sets both in its insert; any other writer of reviews gets them from the event.
CREATE FUNCTION reviews_from_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT e.occurred_at, e.evidence_count > 0 INTO NEW.event_occurred_at, NEW.evidence_pending
    FROM events e WHERE e.event_id = NEW.event_id;
  RETURN NEW;
END
$$;

CREATE TRIGGER reviews_from_event BEFORE INSERT ON reviews
  FOR EACH ROW WHEN (NEW.event_occurred_at IS NULL) EXECUTE FUNCTION reviews_from_event();

ALTER TABLE reviews ALTER COLUMN event_occurred_at SET NOT NULL;

CREATE INDEX reviews_open_by_capture ON reviews (event_occurred_at)
  WHERE state IN ('received', 'queued', 'in_review', 'confirmed', 'linked');

CREATE INDEX reviews_expired_evidence ON reviews (updated_at) WHERE evidence_pending AND state = 'expired';

CREATE INDEX reviews_finished_evidence ON reviews (updated_at)
  WHERE evidence_pending AND state IN ('rejected', 'closed', 'upheld', 'denied');

CREATE INDEX reviews_approved_evidence ON reviews (event_id) WHERE evidence_pending AND state = 'approved';
