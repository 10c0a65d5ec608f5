export default /* sql */ `
-- Restored copies under test and the restore drills run on them. The JSON files
-- in restores/<id>/ and drills/<id>.json are the durable record (they survive a
-- promote, which replaces this database); these rows make them queryable.
CREATE TABLE restores (
  id          TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('ready', 'failed', 'promoted', 'discarded')),
  backup_id   TEXT,
  file_name   TEXT NOT NULL,
  sha256      TEXT,
  drill_id    TEXT,
  passed      INTEGER NOT NULL DEFAULT 0,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX restores_created ON restores (created_at DESC);

CREATE TABLE drills (
  id          TEXT PRIMARY KEY,
  restore_id  TEXT,
  backup_id   TEXT,
  file_name   TEXT NOT NULL,
  sha256      TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  passed      INTEGER NOT NULL,
  summary     TEXT NOT NULL
);
CREATE INDEX drills_started ON drills (started_at DESC);
CREATE INDEX drills_backup ON drills (backup_id, finished_at DESC);
`;

/** The same migration for PostgreSQL (checksummed separately). */
export const postgres = /* sql */ `
-- Restored copies under test and the restore drills run on them. The JSON files
-- in restores/<id>/ and drills/<id>.json are the durable record (they survive a
-- promote, which replaces this database); these rows make them queryable.
CREATE TABLE restores (
  id          text PRIMARY KEY,
  created_at  bigint NOT NULL,
  status      text NOT NULL CHECK (status IN ('ready', 'failed', 'promoted', 'discarded')),
  backup_id   text,
  file_name   text NOT NULL,
  sha256      text,
  drill_id    text,
  passed      boolean NOT NULL DEFAULT false,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX restores_created ON restores (created_at DESC);

CREATE TABLE drills (
  id          text PRIMARY KEY,
  restore_id  text,
  backup_id   text,
  file_name   text NOT NULL,
  sha256      text,
  started_at  bigint NOT NULL,
  finished_at bigint NOT NULL,
  passed      boolean NOT NULL,
  summary     text NOT NULL
);
CREATE INDEX drills_started ON drills (started_at DESC);
CREATE INDEX drills_backup ON drills (backup_id, finished_at DESC);
`;
