export default /* sql */ `
CREATE TABLE environments (
  id          INTEGER PRIMARY KEY,
  project_id  INTEGER NOT NULL REFERENCES projects (id),
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL DEFAULT 'other'
              CHECK (kind IN ('development', 'staging', 'production', 'other')),
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX environments_project_name ON environments (project_id, name COLLATE NOCASE);

-- Configuration snapshots are versioned per environment and immutable once written.
CREATE TABLE config_snapshots (
  id             INTEGER PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments (id),
  version        INTEGER NOT NULL,
  content        TEXT NOT NULL,
  sha256         TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  UNIQUE (environment_id, version)
);
CREATE TRIGGER config_snapshots_no_update BEFORE UPDATE ON config_snapshots
BEGIN SELECT RAISE(ABORT, 'config snapshots are immutable'); END;
CREATE TRIGGER config_snapshots_no_delete BEFORE DELETE ON config_snapshots
BEGIN SELECT RAISE(ABORT, 'config snapshots are immutable'); END;
`;
