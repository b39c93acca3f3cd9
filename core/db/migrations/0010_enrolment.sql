-- Who created each user (an admin's id, or system:bootstrap); null for rows from before.
ALTER TABLE users ADD COLUMN created_by text;

-- One-time enrolment codes: an admin creates or resets a user and hands the code over out of
-- band; the person redeems it for their own token. Only a SHA-256 of the code is kept.
CREATE TABLE enrolment_codes (
  code_sha256 bytea PRIMARY KEY CHECK (length(code_sha256) = 32),
  user_id text NOT NULL REFERENCES users (user_id),
  issued_by text NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  -- Set when a later reset made the code void.
  voided_at timestamptz
);

CREATE INDEX enrolment_codes_by_user ON enrolment_codes (user_id, issued_at);

-- Deductions that stand but that auditors should look at (e.g. "same_admin:<admin>").
ALTER TABLE ledger_entries ADD COLUMN audit_flag text;
