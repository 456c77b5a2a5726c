-- Provider accounts and payout transfers (api §8.7, domain §25.9). Money is integer µCAD, time µs.

-- One provider account per user (UNIQUE user_id): registering twice is a constraint, not a check.
CREATE TABLE providers (
  provider_id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL UNIQUE,
  provider_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'onboarding',
  corporation_name TEXT NOT NULL DEFAULT '',
  business_number TEXT NOT NULL DEFAULT '',
  gst_hst_number TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  legal_name TEXT NOT NULL DEFAULT '',
  country TEXT NOT NULL DEFAULT 'CA',
  province TEXT NOT NULL DEFAULT '',
  incorporation_file_id TEXT NOT NULL DEFAULT '',
  incorporation_status TEXT NOT NULL DEFAULT '',
  stripe_account_id TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  onboarded_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX providers_by_created ON providers(created_at, provider_id);
CREATE INDEX providers_by_stripe ON providers(stripe_account_id) WHERE stripe_account_id != '';

-- A pending payout claimed by a transfer in flight carries its transfer_id: no second payout
-- call can take it while the payment provider is being asked.
ALTER TABLE payouts ADD COLUMN transfer_id TEXT NOT NULL DEFAULT '';
CREATE INDEX payouts_by_provider ON payouts(provider_id, status, created_at);

-- One row per payout call that moved money: amount is the sum of its rows rounded half-up to the
-- cent; carry (amount − sum, sign reversed) stays behind as a pending 'carry' payout row.
CREATE TABLE payout_transfers (
  transfer_id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  carry INTEGER NOT NULL,
  payouts INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  reference TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'paid')),
  created_at INTEGER NOT NULL,
  paid_at INTEGER
);
CREATE INDEX payout_transfers_by_provider ON payout_transfers(provider_id, created_at);
