// `stateward verify|restore|restore-diff|promote`: drill a backup in a temporary copy,
// restore it into restores/<id>, show what promoting that copy changes, make it live.
import fs from 'node:fs';
import path from 'node:path';
import type {
  DrillReport,
  RestoreDiffCount,
  RestoreDiffItem,
  RestoreSource,
} from '../../../shared/domain.ts';
import type { AppErrorShape } from '../../../shared/errors.ts';
import { AppError } from '../../../shared/errors.ts';
import { ensureOwnerDir } from '../../core/fsutil.ts';
import { resolveBinding } from '../../core/pg/binding.ts';
import type { ResolvedDataDir } from '../../core/paths.ts';
import { RESTORE_DIFF_MAX_PAGE } from '../../core/restore/diff.ts';
import { diffOfCopy } from '../../core/restore/copy-diff.ts';
import type { Runtime } from '../../core/runtime.ts';
import type { CliCommand } from '../args.ts';
import { intOption, usageError } from '../args.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import {
  databaseUrlOf,
  inTeamMode,
  openRecorder,
  openShared,
  openTeam,
  refusal,
  startCli,
} from '../open.ts';
import type { CliIo, Outcome } from '../output.ts';

/**
 * A runtime for restore work: the live store shared when it is current, otherwise not
 * opened at all (backups and copies are SQLite files: verify and restore never need
 * the live data, nor a local database in team mode). With `lockMode` (promote) the
 * live data is opened: in team mode the team database (`databaseUrl` or the binding).
 */
async function restoreRuntime(
  where: ResolvedDataDir,
  lockMode: string | null,
  databaseUrl?: string,
): Promise<Runtime> {
  ensureOwnerDir(where.dir);
  const team = inTeamMode(where, databaseUrl);
  // Team mode: a local database (one a move left behind) is not the live data: never opened here.
  const shared = lockMode === null && !team ? await openShared(where).catch(() => null) : null;
  if (shared) return shared;
  const rt = await startCli(
    where,
    lockMode,
    lockMode === null ? { store: 'none' } : { databaseUrl },
  );
  // It needed the lock and did not get it (held, disk full, unusable folder), or in team
  // mode the server (unreachable, authentication, …): say why, not "held".
  if (
    lockMode !== null &&
    (rt.lock === null || (team && !rt.team)) &&
    rt.startup.state === 'refused'
  ) {
    const err = refusal(rt);
    rt.close();
    throw err;
  }
  return rt;
}

function sourceArg(rt: Runtime, arg: string): RestoreSource {
  if (/^[a-z0-9]{8,32}$/.test(arg) && !fs.existsSync(arg)) {
    if (rt.backups.list().some((b) => b.id === arg)) return { backupId: arg };
  }
  return { path: path.resolve(arg) };
}

function reportText(r: DrillReport): string {
  const lines = [`${r.passed ? 'PASSED' : 'FAILED'}  ${r.summary}`, ''];
  for (const s of r.steps) {
    lines.push(`  ${s.status.toUpperCase().padEnd(4)} ${s.title} (${s.ms} ms): ${s.detail}`);
    // The boot step's requests to the app it booted, and that app's last log lines when it failed.
    for (const p of s.probes ?? [])
      lines.push(
        `       ${p.status.toUpperCase().padEnd(4)} ${p.name}${p.request ? ` [${p.request} → ${p.httpStatus ?? 'no answer'}]` : ''} (${p.ms} ms): ${p.detail}`,
      );
    for (const l of s.log ?? []) lines.push(`       log: ${l}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

function exitForReport(r: DrillReport): number {
  if (r.passed) return EXIT.ok;
  const failed = r.steps.find((s) => s.status === 'fail');
  const code = failed?.facts?.code as AppErrorShape['code'] | undefined;
  if (code === undefined) return EXIT.checkFailed;
  const mapped = exitCodeFor(code);
  return mapped === EXIT.internal ? EXIT.checkFailed : mapped;
}

async function verify(
  where: ResolvedDataDir,
  arg: string,
  io: CliIo,
  server: { databaseUrl: string | undefined } | null,
  databaseUrl?: string,
): Promise<Outcome> {
  // --server: in a scratch schema of the team database.
  if (server && resolveBinding(where.dir, { databaseUrl: server.databaseUrl }).target === null)
    throw new AppError(
      'NOT_IN_TEAM_MODE',
      `verify --server drills in the team's PostgreSQL database, and ${where.dir} is bound to SQLite.`,
      { hint: 'Leave out --server to drill locally, or give --database-url URL.' },
    );
  const rt = server
    ? (await openRecorder(where, server.databaseUrl)).rt
    : await restoreRuntime(where, null, databaseUrl);
  try {
    const stop = rt.events.on('progress', (p) =>
      io.stderr(`\rverify: ${p.phase} ${p.done}/${p.total}`.padEnd(70)),
    );
    const target = server ? 'server' : 'local';
    const report = await rt.restores.verify(sourceArg(rt, arg), undefined, target).finally(() => {
      stop();
      io.stderr('\n');
    });
    return { exit: exitForReport(report), json: report, text: reportText(report) };
  } finally {
    rt.close();
  }
}

async function restore(
  where: ResolvedDataDir,
  arg: string,
  io: CliIo,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  const rt = await restoreRuntime(where, null, databaseUrl);
  try {
    const stop = rt.events.on('progress', (p) =>
      io.stderr(`\rrestore: ${p.phase} ${p.done}/${p.total}`.padEnd(70)),
    );
    try {
      const staged = await rt.restores.stage(sourceArg(rt, arg));
      if (!staged.restoreId) {
        const r = staged.report;
        throw new AppError(
          (r.code ?? 'BAD_INPUT') as AppErrorShape['code'],
          r.reason,
          r.hint ? { hint: r.hint } : {},
        );
      }
      const restoreId = staged.restoreId;
      // A drill that could not run at all (not one that failed a step) leaves no copy behind.
      const report = await rt.restores.drill(restoreId).catch((e: unknown) => {
        rt.restores.discard(restoreId, { quiet: true });
        throw e;
      });
      const copy = path.join(rt.layout.restores, staged.restoreId, 'stateward.db');
      return {
        exit: exitForReport(report),
        json: { restoreId: staged.restoreId, path: copy, report },
        text: `${copy}\n${report.passed ? `Drill passed. Make it live with: stateward promote ${staged.restoreId} --yes\n` : reportText(report)}`,
      };
    } finally {
      stop();
      io.stderr('\n');
    }
  } finally {
    rt.close();
  }
}

function checkRestoreId(restoreId: string): void {
  if (!/^[0-9a-f]{16}$/.test(restoreId))
    throw usageError(
      `"${restoreId}" is not a restore id (see the output of \`stateward restore\`).`,
    );
}

const DIFF_WORD = { removed: 'LOST', added: 'BACK', changed: 'CHANGES' } as const;

function diffSummaryText(summary: readonly RestoreDiffCount[]): string[] {
  const line = (what: string, pick: (s: RestoreDiffCount) => number, since: boolean) => {
    const parts = summary
      .filter((s) => pick(s) > 0)
      .map(
        (s) =>
          `${pick(s)} ${s.kind}${pick(s) === 1 ? '' : 's'}${since && s.removedSince !== null ? ` (since ${new Date(s.removedSince).toISOString()})` : ''}`,
      );
    return parts.length ? [`  ${what}: ${parts.join(', ')}`] : [];
  };
  const out = [
    ...line('loses (only in live)', (s) => s.removed, true),
    ...line('brings back (only in the copy)', (s) => s.added, false),
    ...line('changes back (live -> copy)', (s) => s.changed, false),
  ];
  return out.length ? out : ['  nothing: live and the copy hold the same entities'];
}

function diffItemText(i: RestoreDiffItem): string {
  const fields = i.fields
    .map((f) =>
      f.field === 'value' ? 'value set again' : `${f.field}: ${f.live ?? '-'} -> ${f.copy ?? '-'}`,
    )
    .join('; ');
  return `${DIFF_WORD[i.change].padEnd(8)}${i.kind.padEnd(12)}${i.name}${i.context ? `  (${i.context})` : ''}${fields ? `  ${fields}` : ''}`;
}

/** What promoting a copy changes, by name: the summary, then up to `limit` items, a page at a time. */
async function restoreDiff(
  where: ResolvedDataDir,
  restoreId: string,
  limit: number,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  checkRestoreId(restoreId);
  // Team mode: the copy is compared with the team database.
  const rt = inTeamMode(where, databaseUrl)
    ? await openTeam(where, databaseUrl)
    : await restoreRuntime(where, null);
  try {
    let summary: RestoreDiffCount[] | null = null;
    const items: RestoreDiffItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await diffOfCopy(rt, restoreId, {
        cursor,
        limit: Math.min(RESTORE_DIFF_MAX_PAGE, limit - items.length),
      });
      summary ??= page.summary;
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < limit);
    const counts = summary ?? [];
    const all = counts.reduce((n, s) => n + s.added + s.removed + s.changed, 0);
    return {
      exit: EXIT.ok,
      json: { restoreId, summary: counts, items, more: cursor !== undefined },
      text: [
        `Promoting ${restoreId}:`,
        ...diffSummaryText(counts),
        ...(items.length ? ['', ...items.map(diffItemText)] : []),
        ...(cursor !== undefined ? [`... ${all - items.length} more (--limit N shows more)`] : []),
        '',
      ].join('\n'),
    };
  } finally {
    rt.close();
  }
}

async function promote(
  where: ResolvedDataDir,
  restoreId: string,
  yes: boolean,
  databaseUrl: string | undefined,
): Promise<Outcome> {
  if (!yes) throw usageError('Promote replaces the live database: add --yes to confirm.');
  checkRestoreId(restoreId);
  const rt = await restoreRuntime(where, 'cli-promote', databaseUrl);
  try {
    const r = await rt.restores.promote(restoreId);
    return {
      exit: EXIT.ok,
      json: { promoted: restoreId, preRestoreBackup: r.preRestoreBackup },
      text: `Promoted ${restoreId}: it is now the live database.${r.preRestoreBackup ? `\nThe previous state is in ${r.preRestoreBackup}\n` : '\n'}`,
    };
  } finally {
    rt.close();
  }
}

const needsBackup = (c: string) => `"${c}" needs a backup file or id.`;
const needsRestore = (c: string) => `"${c}" needs a restore id.`;

export const restoreCommands: CliCommand[] = [
  {
    name: 'verify',
    usage: [
      ['verify <backup-file|id>', 'restore drill into a temporary copy; prints the report'],
      ['verify <backup-file|id> --server', 'the drill in a scratch schema of the team database'],
    ],
    help: 'Exit 0 when the drill passed, 1 when a check failed. --server (team mode) loads the backup into a scratch schema stateward_drill_<id> of the PostgreSQL database, checks it through the PostgreSQL store, and drops it.',
    options: { server: { type: 'boolean' } },
    args: { max: 1, missing: needsBackup('verify') },
    reportOnStdout: true,
    run: ({ where, args, io, values }) =>
      verify(
        where,
        args[0]!,
        io,
        values.server === true
          ? { databaseUrl: values['database-url'] as string | undefined }
          : null,
        databaseUrlOf(values),
      ),
  },
  {
    name: 'restore',
    usage: [
      ['restore <backup-file|id>', 'restore into restores/<id> and drill it; prints its path'],
    ],
    help: 'The live state is not touched; promote the copy to make it live.',
    args: { max: 1, missing: needsBackup('restore') },
    reportOnStdout: true,
    run: ({ where, args, io, values }) => restore(where, args[0]!, io, databaseUrlOf(values)),
  },
  {
    name: 'restore-diff',
    usage: [
      [
        'restore-diff <restore-id> [--limit N]',
        'what promoting the copy changes, by name: lost, brought back, changed',
      ],
    ],
    help: 'One change per line after the summary; --limit N (default 200) caps the lines.',
    options: { limit: { type: 'string' } },
    args: { max: 1, missing: needsRestore('restore-diff') },
    run: ({ where, args, values }) =>
      restoreDiff(
        where,
        args[0]!,
        intOption(values.limit as string | undefined, '--limit', 1, 1_000_000, 200),
        databaseUrlOf(values),
      ),
  },
  {
    name: 'promote',
    usage: [
      ['promote <restore-id> --yes', 'make a verified copy live (refused while the app runs)'],
    ],
    help: 'A pre-restore backup of the live state is taken first.',
    options: { yes: { type: 'boolean' } },
    args: { max: 1, missing: needsRestore('promote') },
    run: ({ where, args, values }) =>
      promote(where, args[0]!, values.yes === true, databaseUrlOf(values)),
  },
];
