-- Legal requests and their disclosures (domain §20.5, api §8.11), and the index the
-- GET /api/leases listing reads by. Times are µs; request_type/status hold core/trust's names.
CREATE TABLE legal_requests (
  request_id TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL,
  request_type TEXT NOT NULL,
  jurisdiction TEXT NOT NULL,
  authority TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'received',
  responded_at INTEGER,
  complied INTEGER NOT NULL DEFAULT 0,
  challenged INTEGER NOT NULL DEFAULT 0,
  notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX legal_requests_by_time ON legal_requests(received_at);

-- One row per response that disclosed records (disclosed_records > 0); jurisdiction is the
-- requesting authority's (copied from the request), which decides the CLOUD Act note.
CREATE TABLE legal_disclosures (
  disclosure_id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES legal_requests(request_id),
  disclosed_at INTEGER NOT NULL,
  jurisdiction TEXT NOT NULL,
  data_category TEXT NOT NULL DEFAULT '',
  records INTEGER NOT NULL CHECK (records > 0)
);
CREATE INDEX legal_disclosures_by_time ON legal_disclosures(disclosed_at);

CREATE INDEX leases_by_status ON leases(status, granted_at);
