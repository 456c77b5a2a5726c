-- Host verification (domain §18), benchmarks and compute scores (§16) and admin-attested
-- jurisdiction records (§20.2). Time integer µs; measured decimals as their wire text inside the
-- JSON columns; scores in hundredths. IF NOT EXISTS: migrations are numbered by position and
-- other branches add theirs, so a re-applied file must not fail.
CREATE TABLE IF NOT EXISTS host_verifications (
  host_id TEXT PRIMARY KEY,
  verification_id TEXT NOT NULL,
  state TEXT NOT NULL,
  overall_score INTEGER NOT NULL DEFAULT 0,       -- hundredths (85.71 -> 8571)
  checks TEXT NOT NULL DEFAULT '[]',              -- JSON array of Check objects
  gpu_fingerprint TEXT NOT NULL DEFAULT '',
  serial TEXT NOT NULL DEFAULT '',
  verified_at INTEGER,
  deverified_at INTEGER,
  deverify_reason TEXT NOT NULL DEFAULT '',
  last_check_at INTEGER,
  next_check_at INTEGER,
  failure_count INTEGER NOT NULL DEFAULT 0,
  reverify_due INTEGER NOT NULL DEFAULT 0,
  cooldown_until INTEGER
);
CREATE INDEX IF NOT EXISTS host_verifications_state ON host_verifications(state, host_id);

-- One row per evaluation or override (kept 365 days).
CREATE TABLE IF NOT EXISTS verification_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL,
  state TEXT NOT NULL,
  overall_score INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verification_history_host ON verification_history(host_id, created_at);

-- Host-fault job failures for the failure threshold (§18.5), kept 30 days.
CREATE TABLE IF NOT EXISTS host_failures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  failed_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS host_failures_host ON host_failures(host_id, failed_at);

-- The last accepted benchmark of each host (upsert).
CREATE TABLE IF NOT EXISTS benchmarks (
  host_id TEXT PRIMARY KEY,
  gpu_model TEXT NOT NULL,
  score INTEGER NOT NULL,                         -- XCU hundredths
  tflops INTEGER NOT NULL,                        -- accepted TFLOPS hundredths
  details TEXT,                                   -- JSON object text or NULL
  run_at INTEGER NOT NULL
);

-- Admin-attested jurisdiction facts (api §6.12 HostJurisdiction); hosts never write these.
CREATE TABLE IF NOT EXISTS host_jurisdictions (
  host_id TEXT PRIMARY KEY,
  country TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  data_center_name TEXT NOT NULL DEFAULT '',
  data_center_class TEXT NOT NULL DEFAULT '',
  operator_name TEXT NOT NULL DEFAULT '',
  operator_incorporated_in TEXT NOT NULL DEFAULT '',
  operator_registered_canada INTEGER NOT NULL DEFAULT 0,
  foreign_control INTEGER NOT NULL DEFAULT 0,
  sovereignty_vetted INTEGER NOT NULL DEFAULT 0,
  sovereignty_vetted_at INTEGER,
  supports_audit_trail INTEGER NOT NULL DEFAULT 0,
  supports_data_residency INTEGER NOT NULL DEFAULT 0,
  updated_by TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
