-- A user's view of jobs asks whether they own any host; answer it from an index.
CREATE INDEX IF NOT EXISTS hosts_by_owner ON hosts(owner);
