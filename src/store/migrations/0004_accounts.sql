-- Accounts and tenancy (api §2.2, §8.15, §8.16; domain §24, §21.6): users, sessions, API keys,
-- password resets, device codes, login failures, teams. Time is integer µs since the epoch.
-- Secrets (session tokens, API keys, reset tokens, device codes) are stored only as lowercase hex
-- SHA-256 of the token string and looked up by that hash; the raw value is shown once.
-- A user's customer row and wallet live in the billing tables (0002_billing.sql), keyed by
-- users.customer_id.

-- email is trimmed + lower-cased by the service before it gets here. A deleted account keeps
-- its row (billing stays keyed by its customer id) with e-mail/name replaced by placeholders,
-- so the same address can register again.
CREATE TABLE users (
  user_id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'submitter' CHECK (role IN ('submitter', 'provider', 'admin')),
  country TEXT NOT NULL DEFAULT 'CA',
  province TEXT NOT NULL DEFAULT 'ON',
  customer_id TEXT NOT NULL UNIQUE,
  provider_id TEXT,
  team_id TEXT,
  password_hash TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER
);
CREATE UNIQUE INDEX users_by_provider ON users(provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX users_by_created ON users(created_at, user_id);
CREATE INDEX users_by_role_created ON users(role, created_at, user_id);
CREATE INDEX users_by_team ON users(team_id) WHERE team_id IS NOT NULL;

-- 30-day sessions, at most 50 per user (the service evicts the oldest).
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id, created_at);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

-- API keys: no expiry, at most 20 per user; preview = first 12 + '...' + last 4 (display and
-- revocation by preview).
CREATE TABLE api_keys (
  key_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT 'default',
  preview TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used INTEGER
) WITHOUT ROWID;
CREATE INDEX api_keys_by_user ON api_keys(user_id, created_at);
CREATE INDEX api_keys_by_user_preview ON api_keys(user_id, preview);

-- Password-reset tokens: 1 h, single use (used flips 0 -> 1 exactly once).
CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX password_resets_by_user ON password_resets(user_id);
CREATE INDEX password_resets_by_expiry ON password_resets(expires_at);

-- Device flow (RFC 8628): user_code is stored without its hyphen (8 chars); approved_by is the
-- approving user; consumed flips 0 -> 1 exactly once, when the token is issued.
CREATE TABLE device_codes (
  device_code_hash TEXT PRIMARY KEY,
  user_code TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  approved_by TEXT,
  approved_at INTEGER,
  consumed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX device_codes_by_expiry ON device_codes(expires_at);
CREATE INDEX device_codes_by_approver ON device_codes(approved_by) WHERE approved_by IS NOT NULL;

-- Failed logins per normalised e-mail (throttle: 10 in 15 min).
CREATE TABLE login_failures (
  email TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures(email, at);
CREATE INDEX login_failures_by_at ON login_failures(at);

-- Teams (P2): plans free 5, pro 25, enterprise 100 members (the owner counts).
CREATE TABLE teams (
  team_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  owner_user_id TEXT NOT NULL,
  plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'enterprise')),
  max_members INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX teams_by_owner ON teams(owner_user_id);

CREATE TABLE team_members (
  team_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_by_user ON team_members(user_id, joined_at);
