export default /* sql */ `
-- Run history: every piece of work the app did (deploy checks, backups, drills, migrations).
CREATE TABLE runs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_kind_started ON runs (kind, started_at DESC, id DESC);

CREATE TABLE resource_status (
  id             INTEGER PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments (id),
  resource       TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'down', 'unknown')),
  checked_at     INTEGER NOT NULL,
  detail         TEXT NOT NULL DEFAULT '',
  UNIQUE (environment_id, resource)
);
`;
