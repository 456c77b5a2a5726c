-- Billing and marketplace (domain §12, §15, §25): billing records, customers, wallets, wallet
-- transactions, escrow holds, refunds, invoices, payouts, listings, spot price history.
-- Money is integer µCAD (invoice snapshots: integer cents), ratios integer ppm, time integer µs.
-- Idempotency is enforced here, by uniqueness constraints, never by check-then-write in code.

-- One record per job attempt that reached running (UNIQUE(job_id, attempt)).
CREATE TABLE billing_records (
  billing_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  job_name TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  host_id TEXT NOT NULL DEFAULT '',
  host_owner TEXT NOT NULL DEFAULT '',
  gpu_model TEXT NOT NULL DEFAULT '',
  num_gpus INTEGER NOT NULL,
  tier TEXT NOT NULL,
  tier_ppm INTEGER NOT NULL,
  trust_tier TEXT NOT NULL,
  trust_ppm INTEGER NOT NULL,
  spot INTEGER NOT NULL DEFAULT 0,
  rate_per_hour INTEGER NOT NULL,
  effective_rate INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  completed_at INTEGER NOT NULL,
  duration_us INTEGER NOT NULL CHECK (duration_us >= 0),
  gpu_hours_e6 INTEGER NOT NULL,
  metered_cost INTEGER NOT NULL CHECK (metered_cost >= 0),
  cost INTEGER NOT NULL CHECK (cost >= 0),
  uncollected INTEGER NOT NULL DEFAULT 0,
  platform_cut_ppm INTEGER NOT NULL,
  platform_fee INTEGER NOT NULL,
  host_payout INTEGER NOT NULL,
  is_canadian INTEGER NOT NULL DEFAULT 0,
  country TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  final_status TEXT NOT NULL,
  failure_class TEXT NOT NULL DEFAULT '',
  refunded INTEGER NOT NULL DEFAULT 0,
  refund_fee INTEGER NOT NULL DEFAULT 0,
  refund_class TEXT NOT NULL DEFAULT '',
  billed_at INTEGER NOT NULL,
  UNIQUE (job_id, attempt)
);
CREATE INDEX billing_by_completed ON billing_records(completed_at, job_id);
CREATE INDEX billing_by_owner ON billing_records(owner, completed_at);
CREATE INDEX billing_by_host ON billing_records(host_id, completed_at);

-- Customer profile: the province is the place of supply for invoice taxes (default ON).
CREATE TABLE customers (
  customer_id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT 'ON',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE wallets (
  customer_id TEXT PRIMARY KEY,
  balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
  held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
  outstanding INTEGER NOT NULL DEFAULT 0 CHECK (outstanding >= 0),
  total_deposited INTEGER NOT NULL DEFAULT 0,
  total_spent INTEGER NOT NULL DEFAULT 0,
  total_refunded INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'active',
  grace_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Every wallet movement; amounts always positive. A deposit reference is unique per customer.
CREATE TABLE wallet_tx (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tx_id TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  tx_type TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  balance_after INTEGER NOT NULL,
  held_after INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  job_id TEXT NOT NULL DEFAULT '',
  reference TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (customer_id, reference)
);
CREATE INDEX wallet_tx_by_customer ON wallet_tx(customer_id, seq);

-- Escrow holds: one row per block, keyed by (job, attempt, assignment, block number), so a
-- replayed hold or top-up can never hold twice. status: held, settled, released.
CREATE TABLE holds (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  assign_us INTEGER NOT NULL,
  n INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  status TEXT NOT NULL DEFAULT 'held',
  created_at INTEGER NOT NULL,
  closed_at INTEGER,
  PRIMARY KEY (job_id, attempt, assign_us, n)
);
CREATE INDEX holds_open ON holds(status, job_id);

-- At most one refund per billing record.
CREATE TABLE refunds (
  billing_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT '',
  exit_code INTEGER NOT NULL,
  failure_reason TEXT NOT NULL DEFAULT '',
  classification TEXT NOT NULL,
  pct_ppm INTEGER NOT NULL,
  original_cost INTEGER NOT NULL,
  amount INTEGER NOT NULL,
  fee_refund INTEGER NOT NULL,
  is_host_fault INTEGER NOT NULL,
  service_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX refunds_by_owner ON refunds(owner, created_at);

-- Invoice numbers come from one sequence row; one invoice per customer per UTC month.
CREATE TABLE invoice_sequence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last INTEGER NOT NULL
);
INSERT INTO invoice_sequence(id, last) VALUES (1, 0);

CREATE TABLE invoices (
  seq INTEGER PRIMARY KEY,
  invoice_id TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL,
  month TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  UNIQUE (customer_id, month)
);

-- Provider payouts: one per billing record (kind settle) and one per refund (kind clawback).
CREATE TABLE payouts (
  payout_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL DEFAULT '',
  host_owner TEXT NOT NULL DEFAULT '',
  host_id TEXT NOT NULL DEFAULT '',
  job_id TEXT NOT NULL,
  billing_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  gross INTEGER NOT NULL,
  platform_fee INTEGER NOT NULL,
  provider_payout INTEGER NOT NULL,
  gst_hst INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending',
  created_at INTEGER NOT NULL,
  paid_at INTEGER,
  UNIQUE (billing_id, kind)
);
CREATE INDEX payouts_by_owner ON payouts(host_owner, created_at);

CREATE TABLE listings (
  host_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL DEFAULT '',
  gpu_model TEXT NOT NULL,
  vram_mgb INTEGER NOT NULL,
  price_per_hour INTEGER NOT NULL CHECK (price_per_hour > 0),
  description TEXT NOT NULL DEFAULT '',
  listed_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1
);

-- Spot price history: the newest 1000 entries overall are kept.
CREATE TABLE spot_prices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  gpu_model TEXT NOT NULL,
  price INTEGER NOT NULL,
  base INTEGER NOT NULL,
  supply INTEGER NOT NULL,
  demand INTEGER NOT NULL,
  computed_at INTEGER NOT NULL
);
CREATE INDEX spot_prices_by_model ON spot_prices(gpu_model, id);
