// Online backups while ANOTHER PROCESS keeps writing to the live database:
// each backup must be one point in time (invariants hold), complete, checked,
// described truthfully by its manifest, and a standalone rollback-journal file.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackup } from '../../electron/core/backup/engine.ts';
import { manifestSchema } from '../../electron/core/backup/manifest.ts';
import { COUNTED_TABLES } from '../../electron/core/backup/worker.ts';
import type { BackupManifest } from '../../shared/domain.ts';
import {
  headerJournalBytes,
  inspectBackupFile,
  manifestPathOf,
  seededRuntime,
  sideFilesOf,
  spawnLines,
  withTimeout,
} from '../helpers/backup-util.ts';
import type { WriterStats } from '../helpers/backup-writer.ts';
import { LEDGER_TOTAL, WRITER_TAG } from '../helpers/backup-writer.ts';
import { HELPERS_DIR } from '../helpers/child.ts';
import { sha256File } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();
const BACKUPS = 18;
const WRITER_RATE = 400; // target transactions per second

interface Invariants {
  ledgerSum: number;
  ledgerRows: number;
  writerDeployments: number;
  writerLogs: number;
  unpaired: number;
}

function invariantsOf(file: string): Invariants {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const one = <T>(sql: string) => db.prepare(sql).get() as T;
    const ledger = one<{ s: number | null; n: number }>(
      `SELECT sum(balance) AS s, count(*) AS n FROM ledger`,
    );
    const unpaired = one<{ n: number }>(
      `SELECT count(*) AS n FROM deployments d
       WHERE d.version LIKE '${WRITER_TAG}%'
         AND (SELECT count(*) FROM deployment_logs l WHERE l.deployment_id = d.id AND l.message = d.version) <> 1`,
    ).n;
    return {
      ledgerSum: ledger.s ?? 0,
      ledgerRows: ledger.n,
      writerDeployments: one<{ n: number }>(
        `SELECT count(*) AS n FROM deployments WHERE version LIKE '${WRITER_TAG}%'`,
      ).n,
      writerLogs: one<{ n: number }>(
        `SELECT count(*) AS n FROM deployment_logs WHERE message LIKE '${WRITER_TAG}%'`,
      ).n,
      unpaired,
    };
  } finally {
    db.close();
  }
}

describe('backups while another process writes', () => {
  it(`${BACKUPS} full and compact backups are each consistent, complete and self-describing`, async () => {
    const rt = await seededRuntime(world, 15_000);
    const otherOut = path.join(world.dir(), 'direct');
    const writer = spawnLines(world, [
      path.join(HELPERS_DIR, 'backup-writer.ts'),
      rt.layout.db,
      String(WRITER_RATE),
    ]);
    await writer.waitLine((l) => l === 'ready');
    // Let it get going before the first snapshot.
    await new Promise((r) => setTimeout(r, 300));

    const results: { file: string; manifest: BackupManifest; how: string; ms: number }[] = [];
    for (let i = 0; i < BACKUPS; i++) {
      const compact = i % 3 === 2;
      const viaService = i % 2 === 0;
      const started = Date.now();
      if (viaService) {
        const entry = await withTimeout(
          rt.backups.run({ kind: 'manual', compact }),
          20_000,
          `backup ${i} (service, compact=${compact})`,
        );
        results.push({
          file: path.join(rt.layout.backups, entry.fileName),
          manifest: entry.manifest!,
          how: `service${compact ? '/compact' : ''}`,
          ms: Date.now() - started,
        });
      } else {
        const r = await withTimeout(
          createBackup({ source: rt.layout.db, outDir: otherOut, kind: 'manual', compact }),
          20_000,
          `backup ${i} (createBackup, compact=${compact})`,
        );
        results.push({
          file: r.path,
          manifest: r.manifest,
          how: `createBackup${compact ? '/compact' : ''}`,
          ms: Date.now() - started,
        });
      }
      // Keep the writer's changes flowing between backups too.
      await new Promise((r) => setTimeout(r, 40));
    }

    writer.proc.kill('SIGTERM');
    const statsLine = await writer.waitLine((l) => l.startsWith('{'));
    const stats = JSON.parse(statsLine) as WriterStats;
    await writer.exited;
    console.log(
      `[backup-consistency] writer: ${stats.tx} tx in ${stats.ms} ms = ${stats.txPerSecond} tx/s ` +
        `(target ${WRITER_RATE}); ${results.length} backups, ms each: ${results.map((r) => r.ms).join(',')}`,
    );
    expect(stats.errors, 'the writer hit errors while backups ran').toEqual([]);
    expect(stats.txPerSecond, 'the writer was not writing at a few hundred tx/s').toBeGreaterThan(
      150,
    );

    const seenWriterRows = new Set<number>();
    for (const r of results) {
      const label = `${r.how} ${path.basename(r.file)}`;
      // No side files beside the finished backup: it is a standalone file.
      expect(sideFilesOf(r.file), `${label}: side files`).toEqual([]);
      expect(headerJournalBytes(r.file), `${label}: header says WAL`).toEqual([1, 1]);
      // The sidecar validates and describes these bytes.
      const sidecar = manifestSchema.parse(
        JSON.parse(fs.readFileSync(manifestPathOf(r.file), 'utf8')),
      );
      expect(sidecar, `${label}: sidecar differs from the returned manifest`).toEqual(r.manifest);
      expect(sha256File(r.file), `${label}: sha256`).toBe(sidecar.sha256);
      expect(fs.statSync(r.file).size, `${label}: bytes`).toBe(sidecar.bytes);
      expect(sidecar.compact, `${label}: compact flag`).toBe(r.how.endsWith('/compact'));

      const facts = inspectBackupFile(r.file);
      expect(facts.integrity, `${label}: integrity_check`).toBe('ok');
      expect(facts.journalMode, `${label}: journal_mode opened alone`).toBe('delete');
      expect(sideFilesOf(r.file), `${label}: opening it created side files`).toEqual([]);
      const counted = Object.fromEntries(
        COUNTED_TABLES.filter((t) => t in facts.counts).map((t) => [t, facts.counts[t]]),
      );
      expect(sidecar.rowCounts, `${label}: rowCounts vs the file`).toEqual(counted);
      if (sidecar.compact) {
        expect(facts.counts['metrics'], `${label}: compact kept metrics`).toBe(0);
        expect(facts.counts['resource_status'], `${label}: compact kept statuses`).toBe(0);
      }

      const inv = invariantsOf(r.file);
      expect(inv.ledgerRows, `${label}: ledger rows`).toBe(20);
      expect(inv.ledgerSum, `${label}: ledger sum (torn transaction)`).toBe(LEDGER_TOTAL);
      expect(inv.unpaired, `${label}: deployments without their log line`).toBe(0);
      expect(inv.writerLogs, `${label}: writer logs vs deployments`).toBe(inv.writerDeployments);
      seenWriterRows.add(inv.writerDeployments);
    }
    // The backups were really taken while the writer wrote: they saw different states.
    expect(seenWriterRows.size, 'every backup saw the same writer state').toBeGreaterThan(
      BACKUPS / 2,
    );
    expect(Math.max(...seenWriterRows)).toBeGreaterThan(0);
  }, 90_000);
});
