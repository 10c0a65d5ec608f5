export default /* sql */ `
CREATE TABLE deployments (
  id                 INTEGER PRIMARY KEY,
  environment_id     INTEGER NOT NULL REFERENCES environments (id),
  snapshot_id        INTEGER REFERENCES config_snapshots (id),
  version            TEXT NOT NULL,
  status             TEXT NOT NULL
                     CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'rolled_back')),
  started_at         INTEGER NOT NULL,
  finished_at        INTEGER,
  access_url         TEXT,
  diagnostic_summary TEXT
);
CREATE INDEX deployments_started ON deployments (started_at DESC, id DESC);
CREATE INDEX deployments_env_started ON deployments (environment_id, started_at DESC, id DESC);
CREATE INDEX deployments_status_started ON deployments (status, started_at DESC, id DESC);
CREATE INDEX deployments_snapshot ON deployments (snapshot_id);

CREATE TABLE deployment_logs (
  id            INTEGER PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments (id),
  ts            INTEGER NOT NULL,
  level         TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message       TEXT NOT NULL
);
CREATE INDEX deployment_logs_deployment ON deployment_logs (deployment_id, ts, id);
`;
