-- SLA (domain §26, api §8.12): downtime intervals opened and closed by the host sweep, telemetry
-- violations, and one enforced record per (host, month). Time integer µs; percentages pct_e4
-- (99.5833 % -> 995833); money µCAD; measured values of violations with 4 decimals (e4).
-- IF NOT EXISTS: migrations are numbered by position and 0008/0009 arrive from other branches; a
-- database made before that merge must not fail when this file is re-applied under a new number.
CREATE TABLE IF NOT EXISTS sla_downtimes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL,
  start_ts INTEGER NOT NULL,
  end_ts INTEGER,
  reason TEXT NOT NULL,
  CHECK (end_ts IS NULL OR end_ts >= start_ts)
);
-- At most one open downtime per host (D§26.2).
CREATE UNIQUE INDEX IF NOT EXISTS sla_downtimes_open ON sla_downtimes(host_id) WHERE end_ts IS NULL;
CREATE INDEX IF NOT EXISTS sla_downtimes_by_host ON sla_downtimes(host_id, start_ts);
CREATE INDEX IF NOT EXISTS sla_downtimes_by_start ON sla_downtimes(start_ts);

CREATE TABLE IF NOT EXISTS sla_violations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  host_id TEXT NOT NULL,
  violation_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  metric_e4 INTEGER NOT NULL,
  threshold_e4 INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sla_violations_by_host ON sla_violations(host_id, violation_type, ts);
CREATE INDEX IF NOT EXISTS sla_violations_by_ts ON sla_violations(ts);

CREATE TABLE IF NOT EXISTS sla_monthly (
  host_id TEXT NOT NULL,
  month TEXT NOT NULL,
  tier TEXT NOT NULL,
  uptime_pct_e4 INTEGER NOT NULL,
  downtime_us INTEGER NOT NULL,
  incidents INTEGER NOT NULL,
  target_pct_e4 INTEGER NOT NULL,
  credit_pct INTEGER NOT NULL,
  credit_ucad INTEGER NOT NULL CHECK (credit_ucad >= 0),
  spend_ucad INTEGER NOT NULL CHECK (spend_ucad >= 0),
  enforced_at INTEGER NOT NULL,
  -- when the first enforcement with a credit applied the sla_breach penalty (0: never)
  breach_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (host_id, month)
);
