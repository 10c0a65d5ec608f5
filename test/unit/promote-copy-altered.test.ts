// A restored copy whose schema was changed after its drill passed (by hand, or by
// another program in restores/<id>/) is refused at promote: the drill's schema
// check held for the file it drilled, not for what the copy holds now. Before, a
// copy with a renamed column or a trigger of its own added since the drill was
// made live and broke (or ran in) live.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, onlyJson } from '../helpers/cli.ts';
import { editFile } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

function schemaOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (
      db.prepare(`SELECT sql FROM sqlite_schema ORDER BY name`).all() as { sql: string }[]
    ).map((r) => r.sql);
  } finally {
    db.close();
  }
}

describe('promote of a copy changed since its drill', () => {
  it.each([
    ['a renamed column', 'ALTER TABLE deployments RENAME COLUMN version TO ver'],
    [
      'a trigger of its own',
      'CREATE TRIGGER sneaky AFTER INSERT ON deployments BEGIN DELETE FROM deployment_logs; END',
    ],
  ])('%s: refused, live untouched', async (_what, sql) => {
    const dir = world.dir();
    expect(
      (await cli('--data-dir', dir, 'demo', '--projects', '1', '--deployments', '4')).code,
    ).toBe(0);
    const backup = onlyJson(await cli('--data-dir', dir, '--json', 'backup')) as { path: string };
    const restore = await cli('--data-dir', dir, 'restore', backup.path);
    expect(restore.code, restore.stderr).toBe(0);
    const id = fs.readdirSync(path.join(dir, 'restores'))[0]!;
    editFile(path.join(dir, 'restores', id, 'stateward.db'), (db) => db.exec(sql));

    const live = path.join(dir, 'stateward.db');
    const before = schemaOf(live);
    const promote = await cli('--data-dir', dir, 'promote', id, '--yes');
    expect(promote.code).toBe(2);
    expect(promote.stderr).toContain('NOT_A_STATEWARD_DB');
    expect(schemaOf(live)).toEqual(before);
  });
});
