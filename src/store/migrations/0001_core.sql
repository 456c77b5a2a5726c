-- Core schema: hosts, jobs, leases, stop requests, job logs, event chain, settings.
-- Money is integer µCAD, VRAM integer milli-GB, time integer µs since the epoch.
CREATE TABLE hosts (
  host_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL,
  gpu_model TEXT NOT NULL,
  gpu_count INTEGER NOT NULL DEFAULT 1,
  total_mgb INTEGER NOT NULL,
  reported_free_mgb INTEGER NOT NULL,
  reserved_mgb INTEGER NOT NULL DEFAULT 0,
  cost_per_hour INTEGER NOT NULL DEFAULT 200000,
  country TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending',
  admitted INTEGER NOT NULL DEFAULT 0,
  admission_details TEXT,
  recommended_runtime TEXT NOT NULL DEFAULT 'runc',
  versions TEXT NOT NULL DEFAULT '{}',
  runtimes TEXT NOT NULL DEFAULT '[]',
  registered_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  latency_ms INTEGER,
  autoscaled INTEGER NOT NULL DEFAULT 0,
  compute_score INTEGER,
  verification_state TEXT NOT NULL DEFAULT 'unverified',
  trust_tier TEXT NOT NULL DEFAULT 'community',
  sla_tier TEXT NOT NULL DEFAULT 'community',
  reverify_due INTEGER NOT NULL DEFAULT 0,
  simulated INTEGER NOT NULL DEFAULT 0,
  corporation_name TEXT NOT NULL DEFAULT '',
  business_number TEXT NOT NULL DEFAULT '',
  gst_hst_number TEXT NOT NULL DEFAULT '',
  legal_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hosts_by_registered ON hosts(registered_at, host_id);

CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  vram_mgb INTEGER NOT NULL,
  num_gpus INTEGER NOT NULL DEFAULT 1,
  priority INTEGER NOT NULL DEFAULT 0,
  tier TEXT NOT NULL DEFAULT 'free',
  trust_tier TEXT NOT NULL DEFAULT 'community',
  spot INTEGER NOT NULL DEFAULT 0,
  max_bid INTEGER,
  image TEXT NOT NULL DEFAULT '',
  command TEXT NOT NULL DEFAULT '[]',
  environment TEXT NOT NULL DEFAULT '{}',
  nfs_server TEXT NOT NULL DEFAULT '',
  nfs_path TEXT NOT NULL DEFAULT '',
  nfs_mount_point TEXT NOT NULL DEFAULT '',
  max_duration_ms INTEGER,
  status TEXT NOT NULL DEFAULT 'queued',
  host_id TEXT,
  lease_id TEXT,
  rate_per_hour INTEGER,
  vram_reserved_mgb INTEGER NOT NULL DEFAULT 0,
  submitted_at INTEGER NOT NULL,
  assigned_at INTEGER,
  started_at INTEGER,
  completed_at INTEGER,
  retries INTEGER NOT NULL DEFAULT 0,
  max_retries INTEGER NOT NULL DEFAULT 3,
  attempt INTEGER NOT NULL DEFAULT 1,
  exit_code INTEGER,
  failure_reason TEXT NOT NULL DEFAULT '',
  failure_class TEXT NOT NULL DEFAULT '',
  stop_requested TEXT,
  stop_requested_at INTEGER,
  preempted_at INTEGER,
  hold_reason TEXT NOT NULL DEFAULT '',
  pending_reason TEXT NOT NULL DEFAULT '',
  avoid_hosts TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX jobs_by_submitted ON jobs(submitted_at, job_id);
CREATE INDEX jobs_by_status ON jobs(status, priority DESC, submitted_at, job_id);
CREATE INDEX jobs_by_host ON jobs(host_id, status);

-- One row per run attempt that reached running: the metering source for billing.
CREATE TABLE job_runs (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  host_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  final_status TEXT,
  PRIMARY KEY (job_id, attempt)
);

CREATE TABLE leases (
  lease_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  host_id TEXT NOT NULL,
  granted_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_renewed INTEGER NOT NULL,
  duration_sec INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'active'
);
CREATE UNIQUE INDEX leases_one_active ON leases(job_id) WHERE status = 'active';

CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  level TEXT NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX job_logs_by_job ON job_logs(job_id, id);

CREATE TABLE agent_tokens (
  token_hash TEXT PRIMARY KEY,
  host_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agent_tokens_by_host ON agent_tokens(host_id);

CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  ts_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  event_hash TEXT NOT NULL
);
CREATE INDEX events_by_entity ON events(entity_type, entity_id, seq);

CREATE TABLE event_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  head_seq INTEGER NOT NULL,
  head_hash TEXT NOT NULL,
  head_mac TEXT NOT NULL
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE autoscale_pool (
  host_id TEXT PRIMARY KEY,
  ip TEXT NOT NULL,
  gpu_model TEXT NOT NULL,
  vram_mgb INTEGER NOT NULL,
  gpu_count INTEGER NOT NULL DEFAULT 1,
  cost_per_hour INTEGER NOT NULL DEFAULT 200000,
  country TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  provisioned INTEGER NOT NULL DEFAULT 0,
  provisioned_at INTEGER
);

CREATE TABLE healthcheck (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at INTEGER NOT NULL
);
