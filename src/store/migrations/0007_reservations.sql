-- Reserved-plan commitments (domain §25.14, api §8.5 POST /api/pricing/reserve). Stored with the
-- quote as made (rates µCAD, tax ppm, monthly estimates in integer cents); they do not yet change
-- billing rates. Time integer µs.
-- IF NOT EXISTS: migrations are numbered by position, and 0006 arrives from another branch; a
-- database made before that merge must not fail when this file is re-applied as version 7.
CREATE TABLE IF NOT EXISTS reservations (
  commitment_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  commitment_type TEXT NOT NULL,
  gpu_model TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  base_rate INTEGER NOT NULL CHECK (base_rate >= 0),
  discounted_rate INTEGER NOT NULL CHECK (discounted_rate >= 0),
  discount_pct INTEGER NOT NULL,
  min_hours_per_day INTEGER NOT NULL,
  province TEXT NOT NULL,
  tax_rate_ppm INTEGER NOT NULL,
  monthly_cents INTEGER NOT NULL,
  monthly_with_tax_cents INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_by_customer ON reservations(customer_id, created_at);
