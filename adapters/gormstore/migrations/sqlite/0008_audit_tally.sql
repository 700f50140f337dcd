-- Refused bearer tokens are tallied: one event per client address and minute, with the number
-- of refusals in count, instead of one row per refusal, so a flood of bogus tokens writes few
-- rows. client_addr is the address of the client whose request caused the event ('' for events
-- of no request, and for the events stored before this migration); count is 1 for every other
-- event. The index on at serves the retention purge, which deletes the oldest events of every
-- organization at once.
ALTER TABLE audit_events ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);

CREATE INDEX audit_events_at ON audit_events (at);
