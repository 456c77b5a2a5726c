-- Reputation (domain §19, api §6.8/§8.9). Only FACTS are stored: what was granted, completed,
-- failed or penalised and when. Points are integer tenths, time µs. Decay, reliability, the
-- score and the tier are computed at read time (core/reputation rep_score with `now` passed in);
-- reading never writes. A row appears with the entity's first scoring event.
-- IF NOT EXISTS: migrations are numbered by position and other numbers arrive from other branches.
CREATE TABLE IF NOT EXISTS reputation (
  entity_type TEXT NOT NULL CHECK (entity_type IN ('host', 'user')),
  entity_id TEXT NOT NULL,
  verifications INTEGER NOT NULL DEFAULT 0,       -- bit (1 << enum rep_verification) per type
  verification_points INTEGER NOT NULL DEFAULT 0, -- min(Σ granted, 2500)
  activity_points INTEGER NOT NULL DEFAULT 0,     -- before decay, <= 5000
  penalty_points INTEGER NOT NULL DEFAULT 0,      -- <= 0
  jobs_completed INTEGER NOT NULL DEFAULT 0,
  jobs_failed_host INTEGER NOT NULL DEFAULT 0,
  jobs_failed_user INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER,                       -- NULL: never active
  events INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (entity_type, entity_id)
);

-- The history: one row per fact (ReputationEvent). `ref` names what caused it (a job id) so a
-- fact reported twice (a mining kill seen by the failure and by the alert) is stored once.
CREATE TABLE IF NOT EXISTS reputation_events (
  event_id INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_type TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  points_delta INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  ref TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS reputation_events_by_entity ON reputation_events(entity_type, entity_id, event_id);
CREATE INDEX IF NOT EXISTS reputation_events_by_time ON reputation_events(entity_type, event_type, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS reputation_events_once ON reputation_events(entity_type, entity_id, event_type, ref)
  WHERE ref != '';
