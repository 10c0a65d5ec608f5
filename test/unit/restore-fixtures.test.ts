// The whole sqlite-corrupt corpus through verify and stage: all 62 hexdb images
// from SQLite's test suite (raw, and stamped with Stateward's application_id so
// the damage itself must be caught deeper), every make-malformed case, and the
// two valid controls. Every input is refused with a documented code and a plain
// reason, and nothing changes: not the input, not its folder (no -wal/-shm
// created beside WAL files), not the live data, backups/ or restores/.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../electron/core/runtime.ts';
import { startRuntime } from '../../electron/core/runtime.ts';
import { seedDemo } from '../../electron/core/demo.ts';
import { APPLICATION_ID } from '../../electron/core/store/db.ts';
import { readyDb } from '../helpers/runtime.ts';
import {
  RESTORE_REFUSAL_CODES,
  damageIndexPage,
  dataDirState,
  folderState,
  sha256,
  stampApplicationId,
} from '../helpers/restore-util.ts';
import { makeTempDir } from '../helpers/world.ts';

const TEST_DIR = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(TEST_DIR, '../../../shared/fixtures/sqlite-corrupt');

interface HexdbModule {
  decodeHexdb(text: string, opts?: { strict?: boolean }): Uint8Array;
}
interface MalformedCase {
  file: string;
  bytes: number;
  sha256: string;
  kind: 'malformed' | 'control';
  what: string;
}
interface MalformedModule {
  makeMalformed(dir: string): MalformedCase[];
}
interface FixtureManifest {
  fixtures: { name: string; file: string; bytes: number; sha256: string }[];
}

const importFixture = async <T>(name: string): Promise<T> =>
  (await import(pathToFileURL(path.join(FIXTURES, name)).href)) as T;

let root = '';
let rt: Runtime;
let hexdbNames: string[] = [];
const table: { input: string; variant: string; code: string; reason: string }[] = [];

/** Where one input lives: alone in its own folder (plus the side files it comes with). */
function placeAlone(variant: string, name: string, files: Record<string, Uint8Array>): string {
  const dir = path.join(root, variant, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
  return dir;
}

/**
 * Verify and stage `file`; returns the problems found (empty when both refused it
 * properly and nothing changed), and records the code for the table.
 */
async function checkRejected(file: string, label: string, variant: string): Promise<string[]> {
  const problems: string[] = [];
  const dir = path.dirname(file);
  const folder = folderState(dir);
  const state = dataDirState(rt);

  const report = await rt.restores.verify({ path: file });
  const failed = report.steps.find((s) => s.status === 'fail');
  const verifyCode = String(failed?.facts?.code ?? '(none)');
  if (report.passed) problems.push(`${label}: verify PASSED (${report.summary})`);
  if (!failed) problems.push(`${label}: verify has no failed step`);
  if (!(RESTORE_REFUSAL_CODES as readonly string[]).includes(verifyCode))
    problems.push(`${label}: verify code ${verifyCode} is not a documented refusal code`);
  if (!failed?.detail.trim() || !report.summary.trim())
    problems.push(`${label}: verify gave no reason`);

  const staged = await rt.restores.stage({ path: file });
  const code = staged.report.code ?? '(none)';
  if (staged.report.ok || staged.restoreId !== null)
    problems.push(`${label}: stage accepted it (${staged.report.reason})`);
  if (!(RESTORE_REFUSAL_CODES as readonly string[]).includes(code))
    problems.push(`${label}: stage code ${code} is not a documented refusal code`);
  const reason = staged.report.reason;
  if (reason.trim().length < 10) problems.push(`${label}: stage reason is empty`);
  if (/\n\s+at |SqliteError|undefined|\[object /.test(reason))
    problems.push(`${label}: stage reason is not plain language: ${reason}`);
  if (report.steps.length === 1 && verifyCode !== code)
    problems.push(`${label}: verify said ${verifyCode}, stage said ${code}`);

  const afterFolder = folderState(dir);
  if (JSON.stringify(afterFolder) !== JSON.stringify(folder))
    problems.push(
      `${label}: the input's folder changed: ${JSON.stringify(folder)} → ${JSON.stringify(afterFolder)}`,
    );
  const after = dataDirState(rt);
  if (after.data !== state.data) problems.push(`${label}: the live data changed`);
  if (JSON.stringify(after.backups) !== JSON.stringify(state.backups))
    problems.push(`${label}: backups/ changed`);
  if (Object.keys(after.restores).length > 0)
    problems.push(`${label}: left ${Object.keys(after.restores).join(', ')} in restores/`);
  table.push({ input: label, variant, code, reason });
  return problems;
}

function codeOf(label: string, variant: string): string | undefined {
  return table.find((r) => r.input === label && r.variant === variant)?.code;
}

beforeAll(async () => {
  root = makeTempDir();
  const dataDir = path.join(root, 'data');
  rt = await startRuntime({ dir: dataDir, source: 'flag', transport: 'http', lockMode: 'test' });
  seedDemo(readyDb(rt), { projects: 2, deployments: 10, actor: 'test', now: Date.now() });
  await rt.backups.run({ kind: 'manual', compact: false });
  fs.mkdirSync(rt.layout.restores, { recursive: true, mode: 0o700 });
});

afterAll(() => {
  rt?.close();
  const version = new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as {
    v: string;
  };
  const counts = new Map<string, number>();
  for (const r of table)
    counts.set(`${r.variant} ${r.code}`, (counts.get(`${r.variant} ${r.code}`) ?? 0) + 1);
  const lines = [
    `sqlite-corrupt corpus through verify + stage (SQLite ${version.v}, better-sqlite3):`,
    `${'input'.padEnd(34)} ${'variant'.padEnd(10)} code`,
    ...table.map((r) => `${r.input.padEnd(34)} ${r.variant.padEnd(10)} ${r.code}`),
    'per code:',
    ...[...counts.entries()].sort().map(([k, n]) => `  ${k.padEnd(44)} ${n}`),
  ];
  console.log(lines.join('\n'));
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('the sqlite-corrupt corpus', () => {
  it('decodes all 62 hexdb images to the bytes the manifest records', async () => {
    const { decodeHexdb } = await importFixture<HexdbModule>('hexdb2db.mjs');
    const manifest = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'),
    ) as FixtureManifest;
    expect(manifest.fixtures).toHaveLength(62);
    for (const f of manifest.fixtures) {
      const bytes = decodeHexdb(fs.readFileSync(path.join(FIXTURES, f.file), 'utf8'), {
        strict: true,
      });
      expect(bytes.length, f.name).toBe(f.bytes);
      placeAlone('raw', f.name, { [`${f.name}.db`]: bytes });
      placeAlone('stamped', f.name, { [`${f.name}.db`]: stampApplicationId(bytes) });
      expect(sha256(path.join(root, 'raw', f.name, `${f.name}.db`)), f.name).toBe(f.sha256);
    }
    hexdbNames = manifest.fixtures.map((f) => f.name);
    const stamped = fs.readFileSync(
      path.join(root, 'stamped', hexdbNames[0]!, `${hexdbNames[0]}.db`),
    );
    expect(stamped.readUInt32BE(68)).toBe(APPLICATION_ID);
  });

  it('every raw hexdb image is refused with a documented code; nothing changes', async () => {
    expect(hexdbNames).toHaveLength(62);
    const before = folderState(path.join(root, 'raw'));
    const problems: string[] = [];
    for (const name of hexdbNames)
      problems.push(
        ...(await checkRejected(path.join(root, 'raw', name, `${name}.db`), name, 'raw')),
      );
    expect(problems).toEqual([]);
    expect(folderState(path.join(root, 'raw'))).toEqual(before);
  });

  it('every hexdb image stamped with Stateward’s application_id is still refused, each with a reason', async () => {
    expect(hexdbNames).toHaveLength(62);
    const before = folderState(path.join(root, 'stamped'));
    const problems: string[] = [];
    for (const name of hexdbNames) {
      problems.push(
        ...(await checkRejected(path.join(root, 'stamped', name, `${name}.db`), name, 'stamped')),
      );
      // Past the header now: the refusal must come from looking inside the file.
      const code = codeOf(name, 'stamped');
      if (code === 'NOT_SQLITE' || code === 'BACKUP_EMPTY' || code === 'BACKUP_UNREADABLE')
        problems.push(`${name}: stamped image refused only at the file level (${code})`);
    }
    expect(problems).toEqual([]);
    expect(folderState(path.join(root, 'stamped'))).toEqual(before);
  });

  it('fts5corrupt3-14 and -17 (integrity_check ok before SQLite 3.44) never pass', async () => {
    const version = (
      new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }
    ).v;
    for (const name of ['fts5corrupt3-14', 'fts5corrupt3-17']) {
      expect(codeOf(name, 'raw'), name).toBe('NOT_A_STATEWARD_DB');
      expect(codeOf(name, 'stamped'), name).toBe('MIGRATION_HISTORY_OUT_OF_SYNC');
      // What this SQLite says about it, for the record (on a scratch copy).
      const scratch = path.join(makeTempDir(), 'x.db');
      fs.copyFileSync(path.join(root, 'raw', name, `${name}.db`), scratch);
      let said: string;
      try {
        const db = new Database(scratch);
        said = (db.prepare('PRAGMA integrity_check').raw().all() as unknown[][])
          .map((r) => String(r[0]))
          .slice(0, 2)
          .join('; ');
        db.close();
      } catch (e) {
        said = `error: ${(e as Error).message}`;
      }
      fs.rmSync(path.dirname(scratch), { recursive: true, force: true });
      console.log(`${name}: SQLite ${version} integrity_check says: ${said}`);
    }
  });

  it('every make-malformed case is refused with a documented code; nothing changes', async () => {
    const { makeMalformed } = await importFixture<MalformedModule>('make-malformed.mjs');
    const out = path.join(root, 'malformed');
    fs.mkdirSync(out);
    const cases = makeMalformed(out);
    const malformed = cases.filter((c) => c.kind === 'malformed');
    expect(malformed.map((c) => c.file)).toEqual([
      'empty.db',
      'random.db',
      'truncated.db',
      'text.db',
      'wal-missing/app.db',
      'wal-orphan/app.db-wal',
    ]);
    // Each alone in its folder, as the generator wrote it (the WAL cases already are).
    const inputs: { label: string; file: string }[] = [];
    for (const c of malformed) {
      const src = path.join(out, c.file);
      if (c.file.includes('/')) inputs.push({ label: c.file, file: src });
      else {
        const dir = placeAlone('malformed-alone', c.file, { [c.file]: fs.readFileSync(src) });
        inputs.push({ label: c.file, file: path.join(dir, c.file) });
      }
    }
    // The database the orphan -wal belongs to, which is not there.
    inputs.push({
      label: 'wal-orphan/app.db (missing)',
      file: path.join(out, 'wal-orphan/app.db'),
    });
    // The damaged SQLite files once more, stamped as Stateward's.
    for (const c of ['truncated.db', 'wal-missing/app.db']) {
      const dir = placeAlone('malformed-stamped', c.replace('/', '_'), {
        [path.basename(c)]: stampApplicationId(fs.readFileSync(path.join(out, c))),
      });
      inputs.push({ label: `${c} (stamped)`, file: path.join(dir, path.basename(c)) });
    }
    const before = folderState(root);
    const problems: string[] = [];
    for (const i of inputs) problems.push(...(await checkRejected(i.file, i.label, 'made')));
    expect(problems).toEqual([]);
    const after = folderState(root);
    for (const k of Object.keys(after)) if (k.startsWith('data')) delete after[k];
    for (const k of Object.keys(before)) if (k.startsWith('data')) delete before[k];
    expect(after).toEqual(before);

    expect(codeOf('empty.db', 'made')).toBe('BACKUP_EMPTY');
    expect(codeOf('random.db', 'made')).toBe('NOT_SQLITE');
    expect(codeOf('text.db', 'made')).toBe('NOT_SQLITE');
    expect(codeOf('wal-orphan/app.db-wal', 'made')).toBe('NOT_SQLITE');
    expect(codeOf('wal-orphan/app.db (missing)', 'made')).toBe('BACKUP_UNREADABLE');
    expect(table.find((r) => r.input === 'wal-orphan/app.db (missing)')?.reason).toMatch(/-wal/);
    expect(codeOf('truncated.db (stamped)', 'made')).toBe('DB_CORRUPT');
    // No -shm/-wal appeared beside the WAL cases.
    expect(fs.readdirSync(path.join(out, 'wal-missing'))).toEqual(['app.db']);
    expect(fs.readdirSync(path.join(out, 'wal-orphan'))).toEqual(['app.db-wal']);
  });

  it('a Stateward backup with one damaged page (no manifest) gets past preflight and fails the drill', async () => {
    const backup = rt.backups.list()[0]!;
    const dir = placeAlone('extra', 'damaged-page', {
      'damaged.sqlite': fs.readFileSync(path.join(rt.layout.backups, backup.fileName)),
    });
    const file = path.join(dir, 'damaged.sqlite');
    damageIndexPage(file, 'deployments_status_started');
    const folder = folderState(dir);
    const state = dataDirState(rt);
    const report = await rt.restores.verify({ path: file });
    expect(report.passed).toBe(false);
    const failed = report.steps.find((s) => s.status === 'fail')!;
    expect(failed.key).toBe('integrity');
    expect(failed.facts?.['code']).toBe('DB_CORRUPT');
    expect(failed.detail.trim().length).toBeGreaterThan(10);
    expect(report.steps.map((s) => s.key)).toEqual(['preflight', 'copy', 'integrity']);
    expect(folderState(dir)).toEqual(folder);
    const after = dataDirState(rt);
    expect(after.data).toBe(state.data);
    expect(after.backups).toEqual(state.backups);
    expect(after.restores).toEqual({});
    table.push({
      input: 'stateward backup, damaged page',
      variant: 'extra',
      code: 'DB_CORRUPT',
      reason: failed.detail,
    });
  });

  it('the valid controls pass the file checks and stop at NOT_A_STATEWARD_DB; stamped, at the history check', async () => {
    const { makeMalformed } = await importFixture<MalformedModule>('make-malformed.mjs');
    const out = path.join(root, 'controls');
    fs.mkdirSync(out);
    const controls = makeMalformed(out).filter((c) => c.kind === 'control');
    expect(controls.map((c) => c.file).sort()).toEqual([
      'valid.db',
      'wal-complete/app.db',
      'wal-complete/app.db-wal',
    ]);
    const valid = placeAlone('controls-alone', 'valid', {
      'valid.db': fs.readFileSync(path.join(out, 'valid.db')),
    });
    const stampedValid = placeAlone('controls-stamped', 'valid', {
      'valid.db': stampApplicationId(fs.readFileSync(path.join(out, 'valid.db'))),
    });
    const stampedWal = placeAlone('controls-stamped', 'wal-complete', {
      'app.db': stampApplicationId(fs.readFileSync(path.join(out, 'wal-complete/app.db'))),
      'app.db-wal': fs.readFileSync(path.join(out, 'wal-complete/app.db-wal')),
    });
    const inputs = [
      { label: 'valid.db', file: path.join(valid, 'valid.db'), variant: 'control' },
      {
        label: 'wal-complete/app.db',
        file: path.join(out, 'wal-complete/app.db'),
        variant: 'control',
      },
      { label: 'valid.db', file: path.join(stampedValid, 'valid.db'), variant: 'control+id' },
      {
        label: 'wal-complete/app.db',
        file: path.join(stampedWal, 'app.db'),
        variant: 'control+id',
      },
    ];
    const problems: string[] = [];
    for (const i of inputs) problems.push(...(await checkRejected(i.file, i.label, i.variant)));
    expect(problems).toEqual([]);
    for (const label of ['valid.db', 'wal-complete/app.db']) {
      const raw = table.find((r) => r.input === label && r.variant === 'control')!;
      expect(raw.code, label).toBe('NOT_A_STATEWARD_DB');
      expect(raw.reason).toMatch(/is a SQLite database, but not one of Stateward's/);
      expect(codeOf(label, 'control+id'), label).toBe('MIGRATION_HISTORY_OUT_OF_SYNC');
    }
    expect(fs.readdirSync(path.join(out, 'wal-complete')).sort()).toEqual(['app.db', 'app.db-wal']);
    expect(fs.readdirSync(stampedWal).sort()).toEqual(['app.db', 'app.db-wal']);
  });
});
