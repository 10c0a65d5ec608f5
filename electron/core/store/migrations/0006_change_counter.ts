export default /* sql */ `
-- A counter bumped by every change to user data, so a scheduled backup can
-- skip when nothing changed since the last one (the counter is in each backup).
-- Settings, runs, metrics and the audit log are not user data for this purpose:
-- the backup itself writes to them.
CREATE TABLE change_counter (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);
CREATE TRIGGER projects_count_insert AFTER INSERT ON projects
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER projects_count_update AFTER UPDATE ON projects
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER projects_count_delete AFTER DELETE ON projects
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER environments_count_insert AFTER INSERT ON environments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER environments_count_update AFTER UPDATE ON environments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER environments_count_delete AFTER DELETE ON environments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER config_snapshots_count_insert AFTER INSERT ON config_snapshots
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER config_snapshots_count_update AFTER UPDATE ON config_snapshots
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER config_snapshots_count_delete AFTER DELETE ON config_snapshots
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployments_count_insert AFTER INSERT ON deployments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployments_count_update AFTER UPDATE ON deployments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployments_count_delete AFTER DELETE ON deployments
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployment_logs_count_insert AFTER INSERT ON deployment_logs
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployment_logs_count_update AFTER UPDATE ON deployment_logs
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER deployment_logs_count_delete AFTER DELETE ON deployment_logs
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
`;

/** The same migration for PostgreSQL (checksummed separately). */
export const postgres = /* sql */ `
-- A counter bumped by every change to user data, so a scheduled backup can
-- skip when nothing changed since the last one (the counter is in each backup).
-- Settings, runs, metrics and the audit log are not user data for this purpose:
-- the backup itself writes to them. Row triggers, as in SQLite: one bump per row.
CREATE TABLE change_counter (
  id  integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (1, 0);
CREATE FUNCTION change_counter_bump() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE change_counter SET seq = seq + 1 WHERE id = 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER projects_count_insert AFTER INSERT ON projects
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER projects_count_update AFTER UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER projects_count_delete AFTER DELETE ON projects
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER environments_count_insert AFTER INSERT ON environments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER environments_count_update AFTER UPDATE ON environments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER environments_count_delete AFTER DELETE ON environments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER config_snapshots_count_insert AFTER INSERT ON config_snapshots
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER config_snapshots_count_update AFTER UPDATE ON config_snapshots
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER config_snapshots_count_delete AFTER DELETE ON config_snapshots
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployments_count_insert AFTER INSERT ON deployments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployments_count_update AFTER UPDATE ON deployments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployments_count_delete AFTER DELETE ON deployments
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployment_logs_count_insert AFTER INSERT ON deployment_logs
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployment_logs_count_update AFTER UPDATE ON deployment_logs
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER deployment_logs_count_delete AFTER DELETE ON deployment_logs
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
`;
