export default /* sql */ `
CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY,
  ts     INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_ts ON audit_log (ts DESC, id DESC);
CREATE INDEX audit_log_action_ts ON audit_log (action, ts DESC, id DESC);

-- Metrics are re-creatable: compact backups strip them.
CREATE TABLE metrics (
  id     INTEGER PRIMARY KEY,
  ts     INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL NOT NULL,
  labels TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX metrics_name_ts ON metrics (name, ts);
`;
