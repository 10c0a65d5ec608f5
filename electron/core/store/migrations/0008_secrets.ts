export default /* sql */ `
-- Secret values per environment, encrypted (AES-256-GCM) with a data key that
-- never enters this database: keys/ holds it, wrapped. Each secret has a stable
-- reference id that configuration snapshots use instead of the value.
CREATE TABLE secrets (
  id             TEXT PRIMARY KEY,
  environment_id INTEGER NOT NULL REFERENCES environments (id),
  name           TEXT NOT NULL,
  key_id         TEXT NOT NULL,
  iv             BLOB NOT NULL,
  tag            BLOB NOT NULL,
  ciphertext     BLOB NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX secrets_env_name ON secrets (environment_id, name);
CREATE TRIGGER secrets_count_insert AFTER INSERT ON secrets
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER secrets_count_update AFTER UPDATE ON secrets
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER secrets_count_delete AFTER DELETE ON secrets
BEGIN UPDATE change_counter SET seq = seq + 1 WHERE id = 1; END;
`;

/** The same migration for PostgreSQL (checksummed separately). */
export const postgres = /* sql */ `
-- Secret values per environment, encrypted (AES-256-GCM) with a data key that
-- never enters this database: keys/ holds it, wrapped. Each secret has a stable
-- reference id that configuration snapshots use instead of the value.
CREATE TABLE secrets (
  id             text PRIMARY KEY,
  environment_id bigint NOT NULL REFERENCES environments (id),
  name           text NOT NULL,
  key_id         text NOT NULL,
  iv             bytea NOT NULL,
  tag            bytea NOT NULL,
  ciphertext     bytea NOT NULL,
  created_at     bigint NOT NULL,
  updated_at     bigint NOT NULL
);
CREATE UNIQUE INDEX secrets_env_name ON secrets (environment_id, name);
CREATE TRIGGER secrets_count_insert AFTER INSERT ON secrets
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER secrets_count_update AFTER UPDATE ON secrets
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
CREATE TRIGGER secrets_count_delete AFTER DELETE ON secrets
  FOR EACH ROW EXECUTE FUNCTION change_counter_bump();
`;
