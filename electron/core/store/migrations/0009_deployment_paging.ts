export default /* sql */ `
-- The deployments list at a million rows: keyset pages need an index for every
-- filter and sort it offers (newest first; by project, environment, status and
-- their combinations: a project's pages merge its environments' index ranges),
-- and totals must not count the rows. deployment_counts holds the number of
-- deployments per environment and status, kept by triggers in the same
-- statement as the change, so every writer (app, CLI, demo, another process)
-- keeps it right. It is derived data: no change-counter triggers of its own.
CREATE INDEX deployments_env_status_started
  ON deployments (environment_id, status, started_at DESC, id DESC);

CREATE TABLE deployment_counts (
  environment_id INTEGER NOT NULL,
  status         TEXT NOT NULL,
  n              INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (environment_id, status)
);
INSERT INTO deployment_counts (environment_id, status, n)
  SELECT environment_id, status, count(*) FROM deployments GROUP BY environment_id, status;

CREATE TRIGGER deployment_counts_insert AFTER INSERT ON deployments
BEGIN
  INSERT INTO deployment_counts (environment_id, status, n) VALUES (NEW.environment_id, NEW.status, 1)
    ON CONFLICT (environment_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER deployment_counts_delete AFTER DELETE ON deployments
BEGIN
  UPDATE deployment_counts SET n = n - 1
    WHERE environment_id = OLD.environment_id AND status = OLD.status;
END;
CREATE TRIGGER deployment_counts_update AFTER UPDATE OF environment_id, status ON deployments
  WHEN OLD.environment_id IS NOT NEW.environment_id OR OLD.status IS NOT NEW.status
BEGIN
  UPDATE deployment_counts SET n = n - 1
    WHERE environment_id = OLD.environment_id AND status = OLD.status;
  INSERT INTO deployment_counts (environment_id, status, n) VALUES (NEW.environment_id, NEW.status, 1)
    ON CONFLICT (environment_id, status) DO UPDATE SET n = n + 1;
END;
`;

/** The same migration for PostgreSQL (checksummed separately). */
export const postgres = /* sql */ `
-- See the SQLite side: an index for every filter of the deployments list, and
-- per-environment-and-status counts kept by row triggers in the same statement.
CREATE INDEX deployments_env_status_started
  ON deployments (environment_id, status, started_at DESC, id DESC);

CREATE TABLE deployment_counts (
  environment_id bigint NOT NULL,
  status         text NOT NULL,
  n              bigint NOT NULL CHECK (n >= 0),
  PRIMARY KEY (environment_id, status)
);
INSERT INTO deployment_counts (environment_id, status, n)
  SELECT environment_id, status, count(*) FROM deployments GROUP BY environment_id, status;

CREATE FUNCTION deployment_counts_add() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO deployment_counts (environment_id, status, n) VALUES (NEW.environment_id, NEW.status, 1)
    ON CONFLICT (environment_id, status) DO UPDATE SET n = deployment_counts.n + 1;
  RETURN NULL;
END;
$$;
CREATE FUNCTION deployment_counts_remove() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE deployment_counts SET n = n - 1
    WHERE environment_id = OLD.environment_id AND status = OLD.status;
  RETURN NULL;
END;
$$;
CREATE FUNCTION deployment_counts_move() RETURNS trigger
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE deployment_counts SET n = n - 1
    WHERE environment_id = OLD.environment_id AND status = OLD.status;
  INSERT INTO deployment_counts (environment_id, status, n) VALUES (NEW.environment_id, NEW.status, 1)
    ON CONFLICT (environment_id, status) DO UPDATE SET n = deployment_counts.n + 1;
  RETURN NULL;
END;
$$;
CREATE TRIGGER deployment_counts_insert AFTER INSERT ON deployments
  FOR EACH ROW EXECUTE FUNCTION deployment_counts_add();
CREATE TRIGGER deployment_counts_delete AFTER DELETE ON deployments
  FOR EACH ROW EXECUTE FUNCTION deployment_counts_remove();
CREATE TRIGGER deployment_counts_update AFTER UPDATE OF environment_id, status ON deployments
  FOR EACH ROW
  WHEN (OLD.environment_id IS DISTINCT FROM NEW.environment_id OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION deployment_counts_move();
`;
