// A tampered backup must not pass because its manifest is damaged or missing:
// a sidecar that exists but cannot be read or parsed is a failure (not "no
// manifest"); a sidecar or embedded facts that belong to another file are a
// failure; a file whose size is not the page size × page count its header
// states (garbage appended, or cut short) is a failure. None of these can be
// made live, and a refusal changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import { EMBEDDED_MANIFEST_TABLE } from '../../electron/core/backup/worker.ts';
import type { BackupEntry, DrillReport, RestoreSource } from '../../shared/domain.ts';
import { manifestPathOf, seededRuntime } from '../helpers/backup-util.ts';
import { cli, onlyJson } from '../helpers/cli.ts';
import { copyInto, dataDirState, editFile, folderState, sha256 } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

async function withBackup(): Promise<{ rt: Runtime; backup: BackupEntry; file: string }> {
  const rt = await seededRuntime(world, 12, { projects: 2 });
  const backup = await rt.backups.run({ kind: 'manual', compact: false });
  return { rt, backup, file: path.join(rt.layout.backups, backup.fileName) };
}

/** A copy of the backup (same name) in its own folder, with one project renamed in place. */
function tamperedCopy(file: string): string {
  const dest = copyInto(world, file);
  const before = fs.statSync(dest).size;
  editFile(dest, (db) =>
    db.prepare(`UPDATE projects SET name = 'evil' || substr(name, 5) WHERE id = 1`).run(),
  );
  expect(fs.statSync(dest).size).toBe(before);
  return dest;
}

const manifestOf = (file: string) =>
  JSON.parse(fs.readFileSync(manifestPathOf(file), 'utf8')) as Record<string, unknown>;

/** Stage and verify must both refuse with `code`; nothing changes in the input's folder or the data dir. */
async function expectRefused(
  rt: Runtime,
  source: RestoreSource & { path: string },
  code: string,
  reason?: RegExp,
): Promise<void> {
  const folder = folderState(path.dirname(source.path));
  const state = dataDirState(rt);
  const staged = await rt.restores.stage(source);
  expect(staged.report.code, staged.report.reason).toBe(code);
  expect(staged.restoreId).toBeNull();
  if (reason) expect(staged.report.reason).toMatch(reason);
  const report = await rt.restores.verify(source);
  expect(report.passed, report.summary).toBe(false);
  expect(report.steps.find((s) => s.status === 'fail')?.facts?.['code']).toBe(code);
  expect(folderState(path.dirname(source.path))).toEqual(folder);
  const after = dataDirState(rt);
  expect(after.data).toBe(state.data);
  expect(after.restores).toEqual({});
}

describe('a damaged sidecar is a failure, not "no manifest"', () => {
  it('one row edited: refused with an intact manifest (hash), and with the manifest replaced by broken JSON', async () => {
    const { rt, file } = await withBackup();
    const dest = tamperedCopy(file);
    fs.copyFileSync(manifestPathOf(file), manifestPathOf(dest));
    await expectRefused(rt, { path: dest }, 'BACKUP_HASH_MISMATCH');

    fs.writeFileSync(manifestPathOf(dest), '{"format": 1, "id": "broken');
    await expectRefused(rt, { path: dest }, 'BACKUP_MANIFEST_UNREADABLE', /not valid JSON/);

    // The CLI: verify exits 1, restore exits 1 and leaves no copy, so there is nothing to promote.
    const verify = await cli('--data-dir', rt.layout.dir, '--json', 'verify', dest);
    expect(verify.code, verify.stderr).toBe(1);
    expect((onlyJson(verify) as unknown as DrillReport).summary).toContain(
      'BACKUP_MANIFEST_UNREADABLE',
    );
    const restore = await cli('--data-dir', rt.layout.dir, 'restore', dest);
    expect(restore.code, restore.stdout + restore.stderr).toBe(1);
    expect(restore.stderr + restore.stdout).toContain('BACKUP_MANIFEST_UNREADABLE');
    expect(rt.restores.list()).toEqual([]);
  });

  it('a sidecar that is valid JSON but not a manifest, one of a newer format, and one that cannot be read', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file);
    fs.writeFileSync(manifestPathOf(dest), JSON.stringify({ hello: 'world' }));
    await expectRefused(
      rt,
      { path: dest },
      'BACKUP_MANIFEST_UNREADABLE',
      /not a Stateward manifest/,
    );

    fs.writeFileSync(manifestPathOf(dest), JSON.stringify({ ...manifestOf(file), format: 7 }));
    await expectRefused(rt, { path: dest }, 'BACKUP_MANIFEST_UNREADABLE', /newer Stateward/);

    // Something that is there but cannot be read as a file (tests run as root: a folder, not chmod).
    fs.rmSync(manifestPathOf(dest));
    fs.mkdirSync(manifestPathOf(dest));
    await expectRefused(rt, { path: dest }, 'BACKUP_MANIFEST_UNREADABLE', /cannot be read/);
  });

  it('an untouched backup with its own manifest still passes', async () => {
    const { rt, backup } = await withBackup();
    const report = await rt.restores.verify({ backupId: backup.id });
    expect(report.passed, report.summary).toBe(true);
    expect(report.source.manifest).toBe('sidecar');
    expect(report.warnings).toEqual([]);
  });
});

describe('a sidecar or embedded facts that belong to another file', () => {
  it('a sidecar rewritten with the tampered file’s hash but naming another backup → BACKUP_FACTS_MISMATCH', async () => {
    const { rt, file } = await withBackup();
    const dest = tamperedCopy(file);
    const m = manifestOf(file);
    fs.writeFileSync(
      manifestPathOf(dest),
      JSON.stringify({
        ...m,
        sha256: sha256(dest),
        fileName: '20200101T000000Z-manual-abcdefgh.sqlite',
      }),
    );
    await expectRefused(rt, { path: dest }, 'BACKUP_FACTS_MISMATCH', /fileName/);
  });

  it('a sidecar whose page facts disagree with the file’s header → BACKUP_FACTS_MISMATCH', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file);
    const m = manifestOf(file);
    fs.writeFileSync(
      manifestPathOf(dest),
      JSON.stringify({ ...m, pageSize: 1024, pageCount: (m.bytes as number) / 1024 }),
    );
    await expectRefused(rt, { path: dest }, 'BACKUP_FACTS_MISMATCH', /pageSize, pageCount/);
  });

  it('no sidecar: a backup renamed to another backup’s name, and one whose embedded facts were edited → BACKUP_FACTS_MISMATCH', async () => {
    const { rt, file, backup } = await withBackup();
    const other = backup.fileName
      .replace(`-${backup.id}.sqlite`, '-zzzzzzzzzzzz.sqlite')
      .replace('-manual-', '-scheduled-');
    const renamed = copyInto(world, file, other);
    await expectRefused(rt, { path: renamed }, 'BACKUP_FACTS_MISMATCH', /id, kind/);

    const edited = copyInto(world, file);
    editFile(edited, (db) =>
      db
        .prepare(`UPDATE ${EMBEDDED_MANIFEST_TABLE} SET value = '7' WHERE key = 'schemaVersion'`)
        .run(),
    );
    await expectRefused(rt, { path: edited }, 'BACKUP_FACTS_MISMATCH', /schemaVersion/);

    const garbled = copyInto(world, file, 'lone.sqlite');
    editFile(garbled, (db) =>
      db
        .prepare(`UPDATE ${EMBEDDED_MANIFEST_TABLE} SET value = '{"x":1}' WHERE key = 'kind'`)
        .run(),
    );
    await expectRefused(rt, { path: garbled }, 'BACKUP_FACTS_MISMATCH', /facts inside/);
  });

  it('no sidecar, embedded facts that fit: accepted, with the warning that no recorded hash exists', async () => {
    const { rt, file } = await withBackup();
    const lone = copyInto(world, file);
    const renamed = copyInto(world, file, 'my-copy.sqlite');
    for (const f of [lone, renamed]) {
      const staged = await rt.restores.stage({ path: f });
      expect(staged.report.ok, staged.report.reason).toBe(true);
      expect(staged.report.facts.manifest).toBe('embedded');
      expect(staged.report.warnings.join('\n')).toMatch(/no recorded hash/);
      rt.restores.discard(staged.restoreId!);
    }
  });
});

describe('the size must be what the header says', () => {
  it('garbage appended: refused without a sidecar, with its intact sidecar, and with a sidecar forged to its hash', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file);
    fs.appendFileSync(dest, Buffer.alloc(4096, 0x41));
    await expectRefused(rt, { path: dest }, 'BACKUP_FACTS_MISMATCH', /4,096 bytes past the end/);

    fs.copyFileSync(manifestPathOf(file), manifestPathOf(dest));
    await expectRefused(rt, { path: dest }, 'BACKUP_HASH_MISMATCH');

    const m = manifestOf(file);
    fs.writeFileSync(
      manifestPathOf(dest),
      JSON.stringify({ ...m, sha256: sha256(dest), bytes: fs.statSync(dest).size }),
    );
    await expectRefused(rt, { path: dest }, 'BACKUP_FACTS_MISMATCH', /past the end/);

    // Less than a page appended is caught the same way.
    const odd = copyInto(world, file, 'odd.sqlite');
    fs.appendFileSync(odd, 'x');
    await expectRefused(rt, { path: odd }, 'BACKUP_FACTS_MISMATCH', /1 byte past the end/);
  });

  it('cut short at a page boundary (no sidecar) → DB_CORRUPT', async () => {
    const { rt, file } = await withBackup();
    const dest = copyInto(world, file, 'short.sqlite');
    fs.truncateSync(dest, fs.statSync(dest).size - 4096);
    await expectRefused(rt, { path: dest }, 'DB_CORRUPT', /cut short/);
  });
});
