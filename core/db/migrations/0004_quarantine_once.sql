-- A redelivered poison message (crash between commit and term) is quarantined once.
CREATE UNIQUE INDEX quarantine_once_per_stream_seq ON quarantine (stream_seq);
